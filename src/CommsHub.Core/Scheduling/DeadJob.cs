namespace CommsHub.Core.Scheduling;

/// <summary>Why a pending action's Hangfire job was given up on and the action scheduled again.</summary>
internal enum DeadJob
{
    /// <summary>No job, or one that ended (deleted, failed for good, succeeded without firing it).</summary>
    Missing,

    /// <summary>Processing on a server that is no longer alive.</summary>
    ServerGone,

    /// <summary>Processing on a live server for longer than <see cref="Scheduler.Overdue"/>.</summary>
    RunningTooLong,

    /// <summary>Taken from the queue by a worker that never started it.</summary>
    TakenNeverStarted,

    /// <summary>Scheduled, or waiting in the queue, for longer than <see cref="JobLiveness.StuckInQueue"/>.</summary>
    WaitingTooLong,
}
