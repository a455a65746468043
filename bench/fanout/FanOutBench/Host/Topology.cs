using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FanOutBench.Driver;
using FanOutBench.Fakes;

namespace FanOutBench.Host;

/// <summary>Starting CommsHub's production topology for the bench: configuration, readiness, logs.</summary>
public static class Topology
{
    /// <summary>CommsHub's configuration for the bench: what an operator would set, pointed at the bench's database, broker and fakes.</summary>
    public static Dictionary<string, string> Environment(Infra infra, ProviderFakes fakes, double smsPerSecond, string database, string vhost, string key, int port) => new()
    {
        ["Database__Provider"] = "PostgreSql",
        ["ConnectionStrings__CommsHub"] = infra.Database(database),
        ["ConnectionStrings__RabbitMq"] = infra.VirtualHostUri(vhost),
        ["Auth__AdminApiKeys__0"] = key,
        ["PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        ["Channels__Email__SendGrid__ApiKey"] = ProviderFakes.SendGridKey,
        ["Channels__Email__SendGrid__BaseUrl"] = fakes.Url,
        ["Channels__Email__From"] = "Bench <bench@example.com>",
        ["Channels__Sms__Twilio__AccountSid"] = ProviderFakes.TwilioAccountSid,
        ["Channels__Sms__Twilio__AuthToken"] = ProviderFakes.TwilioAuthToken,
        ["Channels__Sms__Twilio__BaseUrl"] = fakes.Url,
        ["Channels__Sms__From"] = "+12025550100",
        // The default budget (10/s) would make sms-10k a 1,000 s test of the token bucket.
        ["Channels__Sms__MessagesPerSecond"] = smsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks__AllowPrivateTargets"] = "true",
        ["Logging__Console__FormatterName"] = "simple",
        ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        ["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true",
        ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",
        ["DOTNET_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
    };

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitReadyAsync(HttpClient http, HostProcess api)
    {
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (api.Exited)
            {
                throw new InvalidOperationException("the API exited:\n" + api.Tail());
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("the API is not ready after 120 s:\n" + api.Tail());
            }
            await Task.Delay(250);
        }
    }

    /// <summary>The worker is ready when the planner's and the senders' queues have a consumer: publishing earlier would drop events.</summary>
    public static async Task WaitConsumingAsync(Infra infra, string vhost, HostProcess worker, Audience audience, string planner = "audience-planner")
    {
        var wanted = new[] { planner }.Concat(audience.Channels.Select(c => $"send-{c}-batch")).ToList();
        var deadline = Stopwatch.GetTimestamp() + 120 * Stopwatch.Frequency;
        while (true)
        {
            var queues = await infra.QueuesAsync(vhost);
            if (wanted.All(q => queues.TryGetValue(q, out var v) && v.Consumers > 0))
            {
                return;
            }
            if (worker.Exited)
            {
                throw new InvalidOperationException("the worker exited:\n" + worker.Tail());
            }
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"no consumer on {string.Join(", ", wanted)} after 120 s:\n" + worker.Tail());
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Distinct warn/fail/crit messages of a log (timestamps cut), most frequent first.</summary>
    public static List<string> LogProblems(string log, bool exitedEarly)
    {
        var lines = File.Exists(log) ? File.ReadLines(log).Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal)).ToList() : [];
        var problems = lines.Select(l => l.Length > 13 ? l[13..Math.Min(l.Length, 250)] : l).GroupBy(l => l).OrderByDescending(g => g.Count())
            .Take(8).Select(g => $"{g.Count()}× {g.Key}").ToList();
        if (exitedEarly)
        {
            problems.Insert(0, "EXITED before the bench stopped it");
        }
        return problems;
    }
}
