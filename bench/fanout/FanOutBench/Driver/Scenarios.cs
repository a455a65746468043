namespace FanOutBench.Driver;

/// <param name="DefaultRuns">Measured runs when --runs is not given (email-1m: 1).</param>
/// <param name="Warmup">Whether a first, unmeasured fan-out warms the processes up (JIT, pools).</param>
/// <param name="LatencyUnderLoad">Whether to add the publish-latency run (100 requests/s, idle and during the fan-out).</param>
/// <param name="Campaign">A compensation campaign (customer list, codes, campaign through the API, each run from a fresh database) instead of an incident fan-out.</param>
public sealed record Scenario(string Name, Audience Audience, int DefaultRuns, TimeSpan Deadline, bool Warmup, bool LatencyUnderLoad = false, bool Campaign = false)
{
    public static readonly IReadOnlyList<Scenario> All =
    [
        new("email-10k", new Audience(10_000, 0, 0), 3, TimeSpan.FromMinutes(2), Warmup: true),
        new("email-100k", new Audience(100_000, 0, 0), 3, TimeSpan.FromMinutes(5), Warmup: true, LatencyUnderLoad: true),
        new("email-1m", new Audience(1_000_000, 0, 0), 1, TimeSpan.FromMinutes(20), Warmup: false),
        new("sms-10k", new Audience(0, 10_000, 0), 3, TimeSpan.FromMinutes(3), Warmup: true),
        new("webhook-10k", new Audience(0, 0, 10_000), 3, TimeSpan.FromMinutes(3), Warmup: true),
        new("mixed", new Audience(100_000, 10_000, 1_000), 3, TimeSpan.FromMinutes(5), Warmup: true),
        new("campaign-10k", new Audience(10_000, 0, 0), 3, TimeSpan.FromMinutes(3), Warmup: false, Campaign: true),
        new("campaign-100k", new Audience(100_000, 0, 0), 3, TimeSpan.FromMinutes(5), Warmup: false, Campaign: true),
        new("campaign-1m", new Audience(1_000_000, 0, 0), 1, TimeSpan.FromMinutes(20), Warmup: false, Campaign: true),
    ];

    /// <summary>What runs when --scenarios is not given: the campaigns are asked for by name.</summary>
    public static IEnumerable<string> Default => All.Where(s => !s.Campaign).Select(s => s.Name);

    /// <summary>A named scenario, or <c>adhoc-E-S-W</c> (E email, S SMS, W webhook subscribers) for a quick check.</summary>
    public static Scenario Named(string name)
    {
        if (All.FirstOrDefault(s => s.Name == name) is { } known)
        {
            return known;
        }
        var parts = name.Split('-');
        if (parts.Length == 4 && parts[0] == "adhoc" && parts.Skip(1).All(p => int.TryParse(p, System.Globalization.CultureInfo.InvariantCulture, out _)))
        {
            var n = parts.Skip(1).Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return new Scenario(name, new Audience(n[0], n[1], n[2]), 1, TimeSpan.FromMinutes(10), Warmup: false);
        }
        throw new ArgumentException($"unknown scenario '{name}': one of {string.Join(", ", All.Select(s => s.Name))}, or adhoc-E-S-W");
    }
}
