using System.Diagnostics;
using System.Text.Json;
using CommsHub.Core.Common;
using CommsHub.Core.Data;

namespace CommsHub.Core.Messaging;

public static class Outbox
{
    /// <summary>Adds the message to the context: it commits, or not, with the caller's changes.</summary>
    public static OutboxMessage Enqueue<T>(CommsHubDbContext db, T message, DateTimeOffset now) where T : class => Enqueue(db, message, typeof(T), now);

    /// <summary>As <see cref="Enqueue{T}"/>, for a message whose type is known only at run time (a send command).</summary>
    public static OutboxMessage Enqueue(CommsHubDbContext db, object message, DateTimeOffset now) => Enqueue(db, message, message.GetType(), now);

    private static OutboxMessage Enqueue(CommsHubDbContext db, object message, Type type, DateTimeOffset now)
    {
        var row = new OutboxMessage
        {
            MessageId = Ids.New(),
            MessageType = type.FullName!,
            Payload = JsonSerializer.Serialize(message, type, JsonSerializerOptions.Web),
            CreatedAt = now,
            // The trace crosses the commit with the row: the dispatcher publishes under it.
            TraceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null,
        };
        db.OutboxMessages.Add(row);
        return row;
    }

    public static Type ResolveType(string messageType) =>
        typeof(Contracts.IncidentUpdatePublished).Assembly.GetType(messageType, throwOnError: false)
        ?? throw new InvalidOperationException($"Outbox message type '{messageType}' is not a CommsHub contract.");
}

/// <summary>Wakes the dispatcher right after a commit so publishing does not wait for the next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one wake-up covers every row committed so far.
        }
    }

    public void Dispose() => _signal.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
