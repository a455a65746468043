using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

public sealed class RedriveOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>How often due deliveries are looked for: the precision of every retry delay.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A queued delivery without a retry time that nobody has touched for this long lost its command: send it again.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// The long back-off lives on the delivery (<c>next_attempt_at</c>), not in the broker: this
/// RabbitMQ has no delayed-message plug-in. This recurring loop finds batches with deliveries due
/// again (or stranded: queued, untouched, their command lost to an error queue) and publishes
/// their send command again; the sender's claim decides what is really sent.
/// </summary>
public sealed class DeliveryRedrive(IServiceScopeFactory scopes, IBus bus, IOptions<RedriveOptions> options, TimeProvider time,
    ILogger<DeliveryRedrive> logger) : BackgroundService
{
    private readonly Dictionary<(Guid, Channel, int), DateTimeOffset> _recent = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await RedriveOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Delivery redrive failed; trying again in {Interval}", options.Value.Interval);
            }
        }
    }

    public async Task<int> RedriveOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stuckBefore = now - options.Value.StuckAfter;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Queued && (d.LeaseUntil == null || d.LeaseUntil < now)
                        && (d.NextAttemptAt <= now || (d.NextAttemptAt == null && d.CreatedAt < stuckBefore)))
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
