using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;

namespace CommsHub.Core.Scheduling;

/// <summary>
/// One reconcile pass's judgement of whether an overdue action's Hangfire job will still run in time.
/// Hangfire's server list and a queue's taken jobs are read at most once per pass, and only when a
/// job's state needs them: a pass with nothing overdue costs no more than before.
/// </summary>
/// <remarks>
/// A worker that dies (SIGKILL, a lost node) leaves its jobs where they were: "Processing", or taken
/// from the queue but still "Enqueued", until Hangfire's invisibility time-out of half an hour.
/// Hangfire servers heartbeat every <see cref="HeartbeatInterval"/>; one that has missed three
/// heartbeats, or has left the server list, runs nothing any more.
/// </remarks>
internal sealed class JobLiveness(IStorageConnection connection, IMonitoringApi monitoring, DateTimeOffset now)
{
    /// <summary>How often each Hangfire server records that it is alive (Hangfire's default is 30 s).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>A server whose last heartbeat is older than this is dead: three heartbeats missed.</summary>
    public static readonly TimeSpan ServerTimeout = 3 * HeartbeatInterval;

    /// <summary>A job that has waited this long in Hangfire's queue is stuck; after an outage hundreds wait their turn, so not sooner.</summary>
    public static readonly TimeSpan StuckInQueue = TimeSpan.FromSeconds(30);

    private HashSet<string>? _liveServers;
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _taken = new(StringComparer.Ordinal);

    /// <summary>Why the action's job will not run in time, or null when it will.</summary>
    public DeadJob? Judge(ScheduledAction action)
    {
        var state = action.JobId is null ? null : connection.GetStateData(action.JobId);
        if (state is null || !LiveStates.Contains(state.Name))
        {
            return DeadJob.Missing;
        }
        if (now - action.DueAt < Scheduler.Overdue)
        {
            return null;
        }
        if (state.Name == ProcessingState.StateName)
        {
            if (Get(state, "ServerId") is { } server && !LiveServers().Contains(server))
            {
                return DeadJob.ServerGone;
            }
            // A live server's job that has run this long may hang; a second job costs nothing (see Scheduler).
            return Since(state, "StartedAt") is { } started && now - started < Scheduler.Overdue ? null : DeadJob.RunningTooLong;
        }
        if (state.Name == EnqueuedState.StateName)
        {
            // A worker moves a job it takes to Processing at once: one taken and never started was taken by a worker that died.
            var queue = Get(state, "Queue") ?? EnqueuedState.DefaultQueue;
            if (Taken(queue).TryGetValue(action.JobId!, out var takenAt) && now - takenAt >= Scheduler.Overdue)
            {
                return DeadJob.TakenNeverStarted;
            }
            return Since(state, "EnqueuedAt") is { } enqueued && now - enqueued < StuckInQueue ? null : DeadJob.WaitingTooLong;
        }
        if (state.Name == ScheduledState.StateName)
        {
            // Counted from when it could first have been enqueued: a job just scheduled again for an action
            // long overdue gets its own half-minute, else every pass would schedule it once more and a slow
            // machine's backlog would grow by itself.
            var from = Max(Since(state, "EnqueueAt"), Since(state, "ScheduledAt")) ?? action.DueAt;
            return now - from < StuckInQueue ? null : DeadJob.WaitingTooLong;
        }
        // Awaiting (nothing here continues another job; a job left so is stuck).
        return now - action.DueAt < StuckInQueue ? null : DeadJob.WaitingTooLong;
    }

    private static readonly HashSet<string> LiveStates = new(StringComparer.OrdinalIgnoreCase)
    {
        ScheduledState.StateName, EnqueuedState.StateName, ProcessingState.StateName, AwaitingState.StateName,
    };

    /// <summary>Servers in Hangfire's list whose heartbeat is recent. Clocks: the heartbeat is the database's, <c>now</c> ours; seconds of skew only move a harmless second job earlier or later.</summary>
    private HashSet<string> LiveServers() => _liveServers ??= monitoring.Servers()
        .Where(s => s.Heartbeat is { } beat && now - Utc(beat) < ServerTimeout)
        .Select(s => s.Name)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Jobs of <paramref name="queue"/> that a worker has taken, with when. As many as there are busy workers, plus those of dead ones.</summary>
    private Dictionary<string, DateTimeOffset> Taken(string queue)
    {
        if (!_taken.TryGetValue(queue, out var taken))
        {
            taken = monitoring.FetchedJobs(queue, 0, 1_000)
                .Where(j => j.Value?.FetchedAt is not null)
                .ToDictionary(j => j.Key, j => Utc(j.Value.FetchedAt!.Value), StringComparer.Ordinal);
            _taken[queue] = taken;
        }
        return taken;
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Get(StateData state, string key) =>
        state.Data is not null && state.Data.TryGetValue(key, out var value) ? value : null;

    private static DateTimeOffset? Since(StateData state, string key) =>
        JobHelper.DeserializeNullableDateTime(Get(state, key)) is { } at ? Utc(at) : null;

    private static DateTimeOffset Utc(DateTime at) => at.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(at.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)),
    };
}
