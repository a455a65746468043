using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Writes the attempt rows of an outcome in the caller's transaction (saved with the caller's <c>SaveChanges</c>): one
/// row per request, whatever the number of recipients it carried. Answers of one request per recipient (text messages,
/// webhooks) come many at a time and go in one INSERT … SELECT FROM unnest on PostgreSQL.
/// </summary>
internal static class AttemptWriter
{
    /// <summary>
    /// The rows for one request's answer: one per attempt number among the deliveries it carried. Deliveries claimed
    /// together share their number; one a dead sender's claim took further keeps its own.
    /// </summary>
    public static IEnumerable<DeliveryAttempt> ForRequest(Guid updateId, Channel channel, int batch, IEnumerable<(Guid Id, int Number)> deliveries,
        Answer answer) =>
        deliveries.GroupBy(d => d.Number).OrderBy(g => g.Key).Select(g =>
        {
            var ids = g.Select(d => d.Id).ToArray();
            Array.Sort(ids, DeliveryLeases.CompareIds);
            return new DeliveryAttempt
            {
                UpdateId = updateId, Channel = channel, Batch = batch, DeliveryIds = ids, Number = g.Key,
                At = answer.At, Provider = answer.Provider, Outcome = answer.Outcome, HttpStatus = answer.HttpStatus,
                ErrorCode = answer.ErrorCode, Error = answer.Error, ProviderMessageId = answer.ProviderMessageId, LatencyMs = answer.LatencyMs,
            };
        });

    /// <summary>What a request's attempt row says besides whom it carried.</summary>
    public sealed record Answer(DateTimeOffset At, string Provider, DeliveryStatus Outcome, int? HttpStatus = null, string? ErrorCode = null,
        string? Error = null, string? ProviderMessageId = null, int LatencyMs = 0);

    public static async Task WriteAsync(CommsHubDbContext db, IReadOnlyList<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        if (attempts.Count == 0)
        {
            return;
        }
        if (db.Provider != DatabaseProvider.PostgreSql || attempts.Count == 1 || attempts.Any(a => a.DeliveryIds.Length != 1))
        {
            // A request for a whole batch is one row (a few, should its deliveries' numbers differ): saved with the record.
            db.DeliveryAttempts.AddRange(attempts);
            return;
        }
        var updateIds = attempts.Select(a => a.UpdateId).ToArray();
        var channels = attempts.Select(a => a.Channel.ToWire()).ToArray();
        var batches = attempts.Select(a => a.Batch).ToArray();
        var deliveryIds = attempts.Select(a => a.DeliveryIds[0]).ToArray();
        var numbers = attempts.Select(a => a.Number).ToArray();
        var at = attempts.Select(a => a.At.ToUniversalTime()).ToArray();
        var providers = attempts.Select(a => a.Provider).ToArray();
        var outcomes = attempts.Select(a => a.Outcome.ToWire()).ToArray();
        var httpStatuses = attempts.Select(a => a.HttpStatus).ToArray();
        var errorCodes = attempts.Select(a => a.ErrorCode).ToArray();
        var errors = attempts.Select(a => a.Error).ToArray();
        var messageIds = attempts.Select(a => a.ProviderMessageId).ToArray();
        var latencies = attempts.Select(a => a.LatencyMs).ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO delivery_attempts (update_id, channel, batch, delivery_ids, number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms)
            SELECT u, c, b, ARRAY[d], n, t, p, o, h, ec, e, m, l
            FROM unnest({updateIds}, {channels}, {batches}, {deliveryIds}, {numbers}, {at}, {providers}, {outcomes}, {httpStatuses}, {errorCodes}, {errors}, {messageIds}, {latencies})
                AS v(u, c, b, d, n, t, p, o, h, ec, e, m, l)
            """, cancellationToken);
    }
}
