using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Messaging;

public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>
    /// <c>Alerts:NotifyEvery</c>: at most one operator notice per error queue (or abandoned channel)
    /// per this interval and process; the faults in between are counted in the next notice. Every
    /// fault is in the audit log whatever this says.
    /// </summary>
    public TimeSpan NotifyEvery { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>A message that ended in an error queue, as its <c>Fault</c> event describes it.</summary>
public sealed record BusFault(string Queue, string MessageType, Guid? MessageId, string? ExceptionType, string? ExceptionMessage, DateTimeOffset FaultedAt)
{
    public string ErrorQueue => Queue + "_error";

    /// <summary><c>SendEmailBatch</c> for <c>urn:message:CommsHub.Contracts:SendEmailBatch</c>.</summary>
    public string ShortType => MessageType.StartsWith("urn:message:", StringComparison.Ordinal)
        ? MessageType[(MessageType.LastIndexOfAny([':', '.']) + 1)..]
        : MessageType;
}

/// <summary>
/// What operators see of poison: an audit entry per faulted message (<see cref="MessageFaulted"/>,
/// listed by <c>GET /api/alerts</c>) and a notice by email and Slack, throttled per queue. A notice
/// that cannot be sent is logged, never thrown: the fault's record is what must not be lost. Public
/// status-page resources that cannot be built are poison of the same kind (one bad row, every rebuild)
/// and are reported the same way (<see cref="PublicResourceFailed"/>).
/// </summary>
public sealed class PoisonAlerts(
    CommsHubDbContext db,
    OperatorNotifier notifier,
    AlertThrottle throttle,
    IOptions<CommsHubOptions> hub,
    TimeProvider time,
    ILogger<PoisonAlerts> logger)
{
    public const string MessageFaulted = "bus.message_faulted";
    public const string DeliveriesAbandoned = "delivery.abandoned";
    public const string PublicResourceFailed = "status_page.resource_failed";
    public const string PublicResourceRecovered = "status_page.resource_recovered";

    /// <summary>The audit actions that are alerts (a recovery is listed too, so the list tells whether a failure still stands).</summary>
    public static readonly string[] Actions = [MessageFaulted, DeliveriesAbandoned, PublicResourceFailed, PublicResourceRecovered,
        Subscribers.ConfirmationBudget.Exhausted];

    public async Task RecordAsync(BusFault fault, CancellationToken cancellationToken)
    {
        var data = new JsonObject
        {
            ["queue"] = fault.Queue,
            ["errorQueue"] = fault.ErrorQueue,
            ["messageType"] = fault.MessageType,
            ["messageId"] = fault.MessageId?.ToString(),
            ["exceptionType"] = fault.ExceptionType,
            ["exceptionMessage"] = Truncate(fault.ExceptionMessage),
            ["faultedAt"] = fault.FaultedAt.ToString("O"),
        };
        AuditLog.Append(db, time.GetUtcNow(), AuditLog.System, MessageFaulted, fault.MessageId?.ToString(), data);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogError("A message ({MessageType}, {MessageId}) failed on {Queue} and is in {ErrorQueue}: {ExceptionType}: {ExceptionMessage}",
            fault.ShortType, fault.MessageId, fault.Queue, fault.ErrorQueue, fault.ExceptionType, fault.ExceptionMessage);

        var error = $"{fault.ExceptionType}: {Truncate(fault.ExceptionMessage)}";
        await NotifyAsync(fault.ErrorQueue, $"a message failed and is in {fault.ErrorQueue} ({fault.ShortType})",
            $"CommsHub could not process a message ({fault.ShortType}, id {fault.MessageId?.ToString() ?? "unknown"}) from the queue {fault.Queue}. "
            + $"It was moved to {fault.ErrorQueue} and will not be retried by itself.\n\n{error}",
            cancellationToken);
    }

    /// <summary>
    /// A public status-page resource (a path such as <c>/history.atom</c>) that failed to build. The caller
    /// reports it once per failure, not once per rebuild; the resource keeps its last good version meanwhile.
    /// </summary>
    public async Task RecordPublicResourceFailureAsync(PublicResourceFailure failure, CancellationToken cancellationToken)
    {
        var data = new JsonObject
        {
            ["resource"] = failure.Path,
            ["exceptionType"] = failure.ExceptionType,
            ["exceptionMessage"] = Truncate(failure.ExceptionMessage),
            ["failingSince"] = failure.Since.ToString("O"),
            ["servingLastGood"] = failure.ServingLastGood,
        };
        AuditLog.Append(db, time.GetUtcNow(), AuditLog.System, PublicResourceFailed, failure.Path, data);
        await db.SaveChangesAsync(cancellationToken);
        var serving = failure.ServingLastGood
            ? "It keeps serving its last good version, so it no longer follows changes"
            : "It has never been built in this process and answers 503 meanwhile";
        await NotifyAsync("status-page:" + failure.Path, $"the status page resource {failure.Path} cannot be built",
            $"CommsHub could not build {failure.Path} of the public status page. {serving}; every other resource is unaffected "
            + $"and it is tried again at each refresh.\n\n{failure.ExceptionType}: {Truncate(failure.ExceptionMessage)}",
            cancellationToken,
            "The cause is usually text stored before input was checked; the application log has the full error.");
    }

    /// <summary>Closes a <see cref="PublicResourceFailed"/>: an audit entry only, as nothing needs doing.</summary>
    public async Task RecordPublicResourceRecoveryAsync(string path, DateTimeOffset failingSince, CancellationToken cancellationToken)
    {
        AuditLog.Append(db, time.GetUtcNow(), AuditLog.System, PublicResourceRecovered, path,
            new JsonObject { ["resource"] = path, ["failingSince"] = failingSince.ToString("O") });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Tells operators, at most once per <paramref name="key"/> and <see cref="AlertOptions.NotifyEvery"/>.</summary>
    /// <param name="remedy">What to do about it; by default, how to move a message back from an error queue.</param>
    public async Task NotifyAsync(string key, string subject, string text, CancellationToken cancellationToken, string? remedy = null)
    {
        if (throttle.TryEnter(key, time.GetUtcNow()) is not { } earlier)
        {
            return;
        }
        var alerts = hub.Value.Link("/api/alerts");
        var body = text
                   + (earlier > 0 ? $"\n\n{earlier} more like it since the last notice." : "")
                   + $"\n\nEvery alert: GET {alerts}. "
                   + (remedy ?? "Once the cause is fixed, a message in an error queue can be moved back to its queue with RabbitMQ's management UI (Move messages).")
                   + "\n";
        try
        {
            var media = await notifier.NotifyAsync("alert", "CommsHub alert: " + subject, body,
                $"<pre>{WebUtility.HtmlEncode(body)}</pre>", $":rotating_light: {subject}\n{body}", null, cancellationToken);
            if (media.Count == 0)
            {
                logger.LogWarning("Nobody was alerted that {Subject}: set Operators:Emails or a Slack webhook", subject);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not alert operators that {Subject}", subject);
        }
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;
}

/// <summary>The last notice per key in this process, and how many were held back since.</summary>
public sealed class AlertThrottle(IOptions<AlertOptions> options)
{
    private readonly Dictionary<string, (DateTimeOffset At, int Held)> _last = [];
    private readonly Lock _lock = new();

    /// <returns>How many notices were held back since the last one sent, or null to hold this one back too.</returns>
    public int? TryEnter(string key, DateTimeOffset now)
    {
        lock (_lock)
        {
            if (_last.TryGetValue(key, out var last) && now - last.At < options.Value.NotifyEvery)
            {
                _last[key] = (last.At, last.Held + 1);
                return null;
            }
            _last[key] = (now, 0);
            return last.Held;
        }
    }
}
