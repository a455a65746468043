using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

public sealed class RedriveOptions
{
    /// <summary>A queued delivery without a retry time that nobody has touched for this long lost its command: send it again.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// The long back-off lives on the delivery (<c>next_attempt_at</c>), not in the broker: this
/// RabbitMQ has no delayed-message plug-in. The recurring <c>deliveries-retry</c> Hangfire job
/// calls this every 2 seconds: it finds batches with deliveries due again (or stranded: queued,
/// untouched, their command lost to an error queue) and publishes their send command again; the
/// sender's claim decides what is really sent.
/// </summary>
public sealed class DeliveryRedrive(IServiceScopeFactory scopes, IBus bus, IOptions<RedriveOptions> options, TimeProvider time,
    ILogger<DeliveryRedrive> logger)
{
    private readonly Dictionary<(Guid, Channel, int), DateTimeOffset> _recent = [];
    private int _running;

    public async Task<int> RedriveOnceAsync(CancellationToken cancellationToken)
    {
        // Overlapping runs (a slow database) would only re-send the same commands.
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return 0;
        }
        try
        {
            return await RedriveAsync(cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task<int> RedriveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stuckBefore = now - options.Value.StuckAfter;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Queued && (d.LeaseUntil == null || d.LeaseUntil < now)
                        // Due again; or its sender died holding it (an expired lease: at once, not after StuckAfter);
                        // or never touched, its command lost.
                        && (d.NextAttemptAt <= now || d.LeaseUntil != null || (d.NextAttemptAt == null && d.CreatedAt < stuckBefore)))
            .Select(d => new { d.UpdateId, d.Channel, d.Batch })
            .Distinct()
            .OrderBy(d => d.UpdateId).ThenBy(d => d.Batch)
            .Take(500)
            .ToListAsync(cancellationToken);

        // One command per batch per half minute: a command in flight is not sent again each tick.
        foreach (var key in _recent.Where(r => now - r.Value > TimeSpan.FromSeconds(30)).Select(r => r.Key).ToList())
        {
            _recent.Remove(key);
        }
        var sent = 0;
        foreach (var batch in due)
        {
            if (!_recent.TryAdd((batch.UpdateId, batch.Channel, batch.Batch), now))
            {
                continue;
            }
            if (DeliveryCommands.For(batch.Channel, batch.UpdateId, batch.Batch) is { } command)
            {
                await bus.Publish(command, command.GetType(), cancellationToken);
                sent++;
            }
        }
        if (sent > 0)
        {
            logger.LogInformation("Re-sent {Count} batch command(s) for deliveries due again", sent);
        }
        return sent;
    }
}

/// <summary>The send command that carries a batch of each channel.</summary>
public static class DeliveryCommands
{
    public static object? For(Channel channel, Guid updateId, int batch) => channel switch
    {
        Channel.Email => new SendEmailBatch { UpdateId = updateId, Batch = batch },
        Channel.Sms => new SendSmsBatch { UpdateId = updateId, Batch = batch },
        Channel.Webhook => new SendWebhookBatch { UpdateId = updateId, Batch = batch },
        Channel.Social => new SendSocialPost { UpdateId = updateId, Batch = batch },
        Channel.Chat => new SendChatPost { UpdateId = updateId, Batch = batch },
        _ => null,
    };
}
