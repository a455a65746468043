using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace FanOutBench.Baselines;

/// <param name="ServiceMs">From sending the request to the complete 201, per request.</param>
/// <param name="FromScheduleMs">From the moment the request was due (open loop: a late driver does not hide a slow server).</param>
public sealed record LatencySample(string Phase, int Requests, int Errors, double Seconds, IReadOnlyList<double> ServiceMs, IReadOnlyList<double> FromScheduleMs)
{
    public double P(double p) => Percentile(ServiceMs, p);
    public double PFromSchedule(double p) => Percentile(FromScheduleMs, p);

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count) - 1;
        return Math.Round(sorted[Math.Clamp(rank, 0, sorted.Count - 1)], 2);
    }
}

/// <summary>
/// Open-loop publish load: <c>POST /api/incidents/{id}/updates</c> with <c>notify: false</c> at a fixed
/// rate, each request sent when it is due whether or not earlier ones have answered.
/// </summary>
public static class OpenLoop
{
    public static async Task<LatencySample> RunAsync(HttpClient api, Guid incidentId, string phase, double perSecond,
        Func<int, bool> keepGoing, CancellationToken ct = default)
    {
        var interval = Stopwatch.Frequency / perSecond;
        var service = new List<double>();
        var fromSchedule = new List<double>();
        var errors = 0;
        var inFlight = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        var i = 0;
        while (keepGoing(i))
        {
            var due = start + (long)(i * interval);
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), ct);
            }
            var n = i++;
            inFlight.Add(Task.Run(async () =>
            {
                var sent = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await api.PostAsJsonAsync($"/api/incidents/{incidentId}/updates",
                        new { message = $"Load update {phase} {n}: still investigating.", status = "identified", notify = false }, ct);
                    await response.Content.ReadAsByteArrayAsync(ct);
                    var done = Stopwatch.GetTimestamp();
                    lock (service)
                    {
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            service.Add((done - sent) * 1000.0 / Stopwatch.Frequency);
                            fromSchedule.Add((done - due) * 1000.0 / Stopwatch.Frequency);
                        }
                        else
                        {
                            errors++;
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    lock (service)
                    {
                        errors++;
                    }
                }
            }, ct));
        }
        await Task.WhenAll(inFlight);
        return new LatencySample(phase, i, errors, Math.Round(Stopwatch.GetElapsedTime(start).TotalSeconds, 2), service, fromSchedule);
    }
}
