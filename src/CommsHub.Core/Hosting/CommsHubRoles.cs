using Microsoft.Extensions.Configuration;

namespace CommsHub.Core.Hosting;

/// <summary>What this process does: <c>api</c> serves HTTP, <c>worker</c> consumes and schedules, <c>all</c> both.</summary>
public sealed record CommsHubRoles(bool Api, bool Worker)
{
    public static CommsHubRoles All { get; } = new(true, true);

    public static CommsHubRoles From(IConfiguration configuration, CommsHubRoles? fallback = null)
    {
        var text = configuration["Roles"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback ?? All;
        }
        return text.Trim().ToLowerInvariant() switch
        {
            "all" => All,
            "api" => new(true, false),
            "worker" => new(false, true),
            _ => throw new InvalidOperationException($"Roles is '{text}'; it must be 'all', 'api' or 'worker'."),
        };
    }

    public override string ToString() => (Api, Worker) switch { (true, true) => "all", (true, false) => "api", _ => "worker" };
}
