namespace CommsHub.Core.Deliveries;

/// <summary>A message that plans work into deliveries, to publish again; <paramref name="Since"/> is what the log reports.</summary>
public sealed record Replan(Guid Id, object Message, string What, DateTimeOffset Since);

/// <summary>
/// Work a planner turns into deliveries (an update, a campaign) whose planning message may have been lost: with a
/// process, in an error queue, or on a virtual host where no worker had bound the planner's queue yet. The redrive
/// (<see cref="DeliveryRedrive"/>) asks each source what has waited <see cref="RedriveOptions.PlanAfter"/> without
/// being planned and publishes its message again, at most once a minute each; planning again is harmless, because
/// deliveries are unique per (owner, recipient, channel).
/// </summary>
public interface IUnplannedWork
{
    Task<IReadOnlyList<Replan>> FindAsync(DateTimeOffset before, CancellationToken cancellationToken);
}
