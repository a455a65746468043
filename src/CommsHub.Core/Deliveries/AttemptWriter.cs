using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Deliveries;

/// <summary>
/// Writes the attempt rows of an outcome in the caller's transaction: one INSERT … SELECT FROM
/// unnest on PostgreSQL (a thousand rows in one statement, not a thousand statements), EF elsewhere.
/// </summary>
internal static class AttemptWriter
{
    public static async Task WriteAsync(CommsHubDbContext db, IReadOnlyList<DeliveryAttempt> attempts, CancellationToken cancellationToken)
    {
        if (attempts.Count == 0)
        {
            return;
        }
        if (db.Provider != DatabaseProvider.PostgreSql)
        {
            db.DeliveryAttempts.AddRange(attempts);
            return;
        }
        var deliveryIds = attempts.Select(a => a.DeliveryId).ToArray();
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
            INSERT INTO delivery_attempts (delivery_id, number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms)
            SELECT * FROM unnest({deliveryIds}, {numbers}, {at}, {providers}, {outcomes}, {httpStatuses}, {errorCodes}, {errors}, {messageIds}, {latencies})
            """, cancellationToken);
    }
}
