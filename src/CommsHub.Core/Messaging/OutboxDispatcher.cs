using System.Diagnostics;
using System.Text.Json;
using CommsHub.Core.Telemetry;
using CommsHub.Core.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Messaging;

public sealed class OutboxOptions
{
    public bool DispatcherEnabled { get; set; } = true;
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int BatchSize { get; set; } = 100;

    /// <summary>How long one publish may wait for the broker's confirm before the row is retried later.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How old a pending row must be before the <c>outbox-sweep</c> job publishes it: younger rows are the
    /// live dispatchers' work, and the sweep only catches what none of them sent.
    /// </summary>
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Publishes committed outbox rows. Rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, so
/// any number of processes may dispatch; each message keeps the row's id as its MessageId and the
/// row is marked only after the broker confirmed it. A crash in between republishes the same
/// MessageId, which consumers absorb through the unique delivery key.
/// </summary>
public sealed class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IBus bus,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider time,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly OutboxOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.DispatcherEnabled)
        {
            logger.LogWarning("The outbox dispatcher is disabled (Outbox:DispatcherEnabled=false): committed updates wait until a dispatcher runs");
            return;
        }
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await DispatchOnceAsync(stoppingToken);
                failures = 0;
                if (published == _options.BatchSize)
                {
                    continue;
                }
                await signal.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7))));
                logger.LogWarning(ex, "Outbox dispatch failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                // A new commit (the database or broker is back, someone is publishing) ends the wait early.
                await ((Task)signal.WaitAsync(delay, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Publishes up to one batch of pending rows; returns how many were published.</summary>
    public Task<int> DispatchOnceAsync(CancellationToken cancellationToken) => DispatchOnceAsync(DateTimeOffset.MaxValue, cancellationToken);

    /// <summary>The sweep's round: only rows pending for at least <see cref="OutboxOptions.SweepAfter"/>.</summary>
    public Task<int> SweepOnceAsync(CancellationToken cancellationToken) =>
        DispatchOnceAsync(time.GetUtcNow() - _options.SweepAfter, cancellationToken);

    private async Task<int> DispatchOnceAsync(DateTimeOffset createdBefore, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        // The marks are the transaction's only write: a savepoint around them (EF's default inside a transaction of
        // the caller's) would only add two round trips per dispatch.
        db.Database.AutoSavepointsEnabled = false;

        var rows = db.Provider == DatabaseProvider.PostgreSql
            ? await db.OutboxMessages
                .FromSqlRaw(
                    "SELECT * FROM outbox_messages WHERE published_at IS NULL AND created_at < {0} ORDER BY id LIMIT {1} FOR UPDATE SKIP LOCKED",
                    createdBefore, _options.BatchSize)
                .ToListAsync(cancellationToken)
            : await db.OutboxMessages.Where(m => m.PublishedAt == null && m.CreatedAt < createdBefore).OrderBy(m => m.Id).Take(_options.BatchSize)
                .ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        var published = 0;
        Exception? failure = null;
        foreach (var row in rows)
        {
            ActivityContext.TryParse(row.TraceParent, null, out var parent);
            using var activity = CommsHubMetrics.Source.StartActivity("outbox publish", ActivityKind.Producer, parent);
            activity?.SetTag("messaging.message.id", row.MessageId.ToString());
            try
            {
                var type = Outbox.ResolveType(row.MessageType);
                var message = JsonSerializer.Deserialize(row.Payload, type, JsonSerializerOptions.Web)!;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.PublishTimeout);
                await bus.Publish(message, type, Pipe.Execute<PublishContext>(ctx => ctx.MessageId = row.MessageId), timeout.Token);
                row.PublishedAt = time.GetUtcNow();
                published++;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                row.Attempts++;
                row.LastError = ex.Message.Length > 2000 ? ex.Message[..2000] : ex.Message;
                failure = ex;
                break;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        if (failure is not null)
        {
            throw new OutboxPublishException($"Published {published} of {rows.Count} outbox messages; the rest wait for the next attempt.", failure);
        }
        if (published > 0)
        {
            logger.LogDebug("Published {Count} outbox message(s)", published);
        }
        return published;
    }
}

public sealed class OutboxPublishException(string message, Exception inner) : Exception(message, inner);
