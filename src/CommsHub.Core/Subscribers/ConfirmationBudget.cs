using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// A ceiling on the confirmation messages the public can cause per channel, per hour and per day,
/// whoever asks from wherever: the last line against SMS pumping from a botnet that no per-client
/// limit sees. Counted from the database (subscribers whose confirmation was asked for in the window),
/// so it holds across every API process; the count is reused for <see cref="RecountEvery"/> and what
/// this process admitted since is added to it, so a flood costs one count a second, not one a request.
/// When it trips, operators get one alert per channel and window.
/// </summary>
public sealed class ConfirmationBudget(IServiceScopeFactory scopes, IOptions<PublicSubscriptionOptions> options, TimeProvider time) : IDisposable
{
    public const string Exhausted = "subscriptions.budget_exhausted";
    public static readonly TimeSpan RecountEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Channel, Tally> _tallies = new();
    private readonly SemaphoreSlim _alerting = new(1, 1);

    /// <returns>Null when a confirmation on <paramref name="channel"/> may be asked for; otherwise how long until one may.</returns>
    public async Task<TimeSpan?> TryAdmitAsync(Channel channel, CancellationToken cancellationToken)
    {
        var budget = options.Value.Budget.For(channel);
        var now = time.GetUtcNow();
        var tally = await CountAsync(channel, now, cancellationToken);
        var (window, length, limit) = tally.Hour + tally.Admitted >= budget.PerHour ? ("hour", TimeSpan.FromHours(1), budget.PerHour)
            : tally.Day + tally.Admitted >= budget.PerDay ? ("day", TimeSpan.FromDays(1), budget.PerDay)
            : (null, TimeSpan.Zero, 0);
        if (window is null)
        {
            Interlocked.Increment(ref tally.Admitted);
            return null;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var since = now - length;
        // The first slot frees when the oldest request in the window leaves it.
        var oldest = await db.Subscribers.AsNoTracking().Where(s => s.Channel == channel && s.ConfirmationRequestedAt >= since)
            .OrderBy(s => s.ConfirmationRequestedAt).Select(s => s.ConfirmationRequestedAt).FirstOrDefaultAsync(cancellationToken);
        var retryAfter = (oldest ?? now) + length - now;
        await AlertOnceAsync(scope.ServiceProvider, channel, window, length, limit, now, cancellationToken);
        return retryAfter > TimeSpan.FromMinutes(1) ? retryAfter : TimeSpan.FromMinutes(1);
    }

    private async Task<Tally> CountAsync(Channel channel, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_tallies.TryGetValue(channel, out var cached) && now - cached.CountedAt < RecountEvery)
        {
            return cached;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var dayAgo = now - TimeSpan.FromDays(1);
        var hourAgo = now - TimeSpan.FromHours(1);
        var recent = db.Subscribers.AsNoTracking().Where(s => s.Channel == channel);
        var day = await recent.CountAsync(s => s.ConfirmationRequestedAt >= dayAgo, cancellationToken);
        var hour = day == 0 ? 0 : await recent.CountAsync(s => s.ConfirmationRequestedAt >= hourAgo, cancellationToken);
        var tally = new Tally(now, hour, day);
        _tallies[channel] = tally;
        return tally;
    }

    /// <summary>One audit entry and one notice per channel and window, across processes (the audit log is the memory).</summary>
    private async Task AlertOnceAsync(IServiceProvider services, Channel channel, string window, TimeSpan length, int limit, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var subject = $"{channel.ToWire()}:{window}";
        var since = now - length;
        await _alerting.WaitAsync(cancellationToken);
        try
        {
            var db = services.GetRequiredService<CommsHubDbContext>();
            if (await db.AuditEntries.AsNoTracking().AnyAsync(e => e.Action == Exhausted && e.Subject == subject && e.At >= since, cancellationToken))
            {
                return;
            }
            AuditLog.Append(db, now, AuditLog.System, Exhausted, subject, new JsonObject
            {
                ["channel"] = channel.ToWire(),
                ["window"] = window,
                ["limit"] = limit,
            });
            await db.SaveChangesAsync(cancellationToken);
            var setting = $"Subscriptions:Budget:{channel}:{(window == "hour" ? "PerHour" : "PerDay")}";
            await services.GetRequiredService<PoisonAlerts>().NotifyAsync($"{Exhausted}:{subject}",
                $"public {channel.ToWire()} subscriptions stopped: {limit} confirmations in an {window}",
                $"The public asked for {limit} {channel.ToWire()} confirmation messages within the last {window}, the budget set by {setting}. "
                + $"Further public {channel.ToWire()} subscription requests are refused (429) until the window has room again; subscribers "
                + "already confirmed are not affected. A sudden burst is usually automated abuse (SMS pumping, email bombing).",
                cancellationToken,
                $"If the demand is genuine (an outage brought many new subscribers), raise {setting}; otherwise consider Subscriptions:Captcha.");
        }
        finally
        {
            _alerting.Release();
        }
    }

    public void Dispose() => _alerting.Dispose();

    private sealed class Tally(DateTimeOffset countedAt, int hour, int day)
    {
        public DateTimeOffset CountedAt { get; } = countedAt;
        public int Hour { get; } = hour;
        public int Day { get; } = day;

        /// <summary>Admitted by this process since the count (not yet in it, or not yet committed).</summary>
        public int Admitted;
    }
}
