using CommsHub.Core.Common;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// When a transiently failed delivery is tried again: one place for every channel. Webhooks follow
/// the Standard Webhooks schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); the
/// providers get a shorter one. ±20 % jitter spreads a burst of failures; a provider's
/// Retry-After is a floor, never shortened.
/// </summary>
public static class RetryPolicy
{
    private static readonly TimeSpan[] WebhookSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    private static readonly TimeSpan[] ProviderSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    /// <summary>
    /// The most a retry waits past a provider's Retry-After (0 to this, at random, so a crowd told the same
    /// time does not return at once). A provider's hold lasts this much longer, so what it deferred comes back
    /// with, not before, the delivery that was told to wait.
    /// </summary>
    public static readonly TimeSpan RetryAfterSpread = TimeSpan.FromMilliseconds(250);

    /// <param name="attempts">Attempts made so far, the failed one included (1 after the first failure).</param>
    /// <returns>The time of the next attempt, or null when the schedule is exhausted and the delivery fails.</returns>
    public static DateTimeOffset? Next(Channel channel, int attempts, TimeSpan? retryAfter, DateTimeOffset now)
    {
        var schedule = channel == Channel.Webhook ? WebhookSchedule : ProviderSchedule;
        if (attempts < 1 || attempts > schedule.Length)
        {
            return null;
        }
        var delay = schedule[attempts - 1] * (0.8 + (0.4 * Random.Shared.NextDouble()));
        if (retryAfter is { } floor && floor > delay)
        {
            delay = floor + (RetryAfterSpread * Random.Shared.NextDouble());
        }
        return now + delay;
    }

    public static int MaxAttempts(Channel channel) => (channel == Channel.Webhook ? WebhookSchedule.Length : ProviderSchedule.Length) + 1;
}
