using CommsHub.Contracts;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

public sealed record CreateSubscriberRequest(
    string? Email = null,
    string? Phone = null,
    string? WebhookUrl = null,
    List<Guid>? Components = null,
    bool? Confirmed = null);

/// <param name="Address">A stored (normalised) address: matched exactly, or as its start when <paramref name="AddressPrefix"/>.</param>
/// <param name="Component">Subscribers who hear about this component: those who chose it and those who chose none (every component).</param>
public sealed record SubscriberFilter(Channel? Channel = null, SubscriberStatus? Status = null, Guid? Cursor = null, int Limit = 100,
    string? Address = null, bool AddressPrefix = false, Guid? Component = null);

/// <summary>A created subscriber, with the webhook signing secret when there is one (shown once).</summary>
public sealed record CreatedSubscriber(Subscriber Subscriber, string? Secret);

/// <summary>What opening a confirmation link did: only <see cref="Confirmed"/> changed anything.</summary>
public enum ConfirmOutcome
{
    Confirmed,
    AlreadyConfirmed,
    NotFound,
    /// <summary>Unsubscribed or suppressed: a link never brings back someone who left.</summary>
    NotPending,
    /// <summary>A newer confirmation went out since this link was made (or is on its way).</summary>
    Superseded,
}

/// <summary>What asking for a confirmation again did: queued it, or why not.</summary>
public enum ResendOutcome { Queued, NotFound, NotPending, TooSoon }

public sealed class SubscriberConflictException(Guid existingId)
    : Exception($"A subscriber with this address already exists ({existingId}).")
{
    public Guid ExistingId { get; } = existingId;
}

public sealed class SubscriberSuppressedException()
    : Exception("This address opted out and was erased; it cannot be added again by an operator.");

/// <summary>The subscriber life cycle: pending → confirmed → unsubscribed (or suppressed), and erasure.</summary>
public sealed class SubscriberService(
    CommsHubDbContext db,
    SubscriberAddresses addresses,
    AddressHasher hasher,
    SubscriberSecrets secrets,
    OutboxSignal outbox,
    IOptions<SubscriptionOptions> options,
    TimeProvider time)
{
    /// <summary>Admin creation; <c>confirmed: true</c> imports without a confirmation round trip.</summary>
    public async Task<CreatedSubscriber> CreateAsync(CreateSubscriberRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var address = await addresses.ParseAsync(request.Email, request.Phone, request.WebhookUrl, errors, cancellationToken);
        var components = await ValidateComponentsAsync(request.Components, errors, cancellationToken);
        errors.ThrowIfAny();
        var (channel, value) = address!.Value;

        var existing = await db.Subscribers.AsNoTracking().Where(s => s.Channel == channel && s.Address == value)
            .Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            throw new SubscriberConflictException(id);
        }
        if (await IsSuppressedAsync(channel, value, cancellationToken))
        {
            throw new SubscriberSuppressedException();
        }

        var now = time.GetUtcNow();
        var confirmed = request.Confirmed ?? false;
        var subscriber = NewSubscriber(channel, value, components, now);
        var secret = channel == Channel.Webhook ? secrets.Issue(subscriber) : null;
        if (confirmed)
        {
            subscriber.Status = SubscriberStatus.Confirmed;
            subscriber.ConfirmedAt = now;
        }
        else
        {
            RequestConfirmation(subscriber, now);
        }
        db.Subscribers.Add(subscriber);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            var winner = await db.Subscribers.AsNoTracking().Where(s => s.Channel == channel && s.Address == value)
                .Select(s => (Guid?)s.Id).FirstOrDefaultAsync(cancellationToken);
            if (winner is { } w)
            {
                throw new SubscriberConflictException(w);
            }
            throw;
        }
        outbox.Notify();
        return new CreatedSubscriber(subscriber, secret);
    }

    /// <summary>
    /// Public self-service subscription. Nothing comes back to the caller (the answer never tells whether
    /// the address was known, and never carries a secret); a confirmation goes to the address itself when it
    /// is new, pending or unsubscribed, at most once per <see cref="SubscriptionOptions.ConfirmationResendAfter"/>
    /// and a few times a day. Whoever asks cannot change a webhook's signing secret: a new endpoint gets one,
    /// a known one keeps its own, and only the confirmation event carries it, to the endpoint.
    /// </summary>
    public async Task SubscribeAsync(string? email, string? phone, string? webhookUrl, List<Guid>? componentIds, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var address = await addresses.ParsePublicAsync(email, phone, webhookUrl, errors, cancellationToken);
        var components = await ValidateComponentsAsync(componentIds, errors, cancellationToken);
        errors.ThrowIfAny();
        var (channel, value) = address!.Value;
        var now = time.GetUtcNow();

        if (await IsSuppressedAsync(channel, value, cancellationToken))
        {
            return; // never message an address that opted out and was erased, not even to confirm
        }

        var subscriber = await db.Subscribers.Include(s => s.Components)
            .FirstOrDefaultAsync(s => s.Channel == channel && s.Address == value, cancellationToken);
        if (subscriber is null)
        {
            subscriber = NewSubscriber(channel, value, components, now);
            if (channel == Channel.Webhook)
            {
                secrets.Issue(subscriber);
            }
            RequestConfirmation(subscriber, now);
            db.Subscribers.Add(subscriber);
        }
        else if (subscriber.Status is (SubscriberStatus.Pending or SubscriberStatus.Unsubscribed) && RequestConfirmation(subscriber, now))
        {
            // Only a request that sends a confirmation changes anything: a throttled repeat leaves someone
            // who left unsubscribed, and a pending subscription as the person chose it.
            if (subscriber.Status == SubscriberStatus.Unsubscribed)
            {
                subscriber.Status = SubscriberStatus.Pending;
                subscriber.ConfirmationSentAt = null; // every link from before they left is dead from now on
            }
            ReplaceComponents(subscriber, components);
            if (channel == Channel.Webhook && subscriber.ProtectedSecret is null)
            {
                secrets.Issue(subscriber); // never a replacement: the endpoint keeps the secret it was given
            }
        }
        // Confirmed and suppressed subscribers, and throttled repeats, are left exactly as they are.

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return; // an identical request won the race; it sends the one confirmation
        }
        outbox.Notify();
    }

    /// <summary>
    /// Opens a confirmation link. It confirms a pending subscriber only, and only with the link of the latest
    /// confirmation sent: one conditional update, so a link opened twice (by the person, or a mail scanner
    /// before them) confirms once and otherwise just reports where things stand.
    /// </summary>
    public async Task<ConfirmOutcome> ConfirmAsync(ConfirmationLink link, CancellationToken cancellationToken)
    {
        var (id, issuedAt) = link;
        var now = time.GetUtcNow();
        // ConfirmationSentAt is stamped just before the token is made (SubscriptionConfirmationConsumer), and
        // cleared when someone who left asks again: a link older than the stamp, or with none, has been replaced.
        var confirmed = await db.Subscribers
            .Where(s => s.Id == id && s.Status == SubscriberStatus.Pending && s.ConfirmationSentAt != null && s.ConfirmationSentAt <= issuedAt)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, SubscriberStatus.Confirmed)
                .SetProperty(x => x.ConfirmedAt, now)
                .SetProperty(x => x.UnsubscribedAt, (DateTimeOffset?)null), cancellationToken);
        if (confirmed > 0)
        {
            return ConfirmOutcome.Confirmed;
        }
        var status = await db.Subscribers.AsNoTracking().Where(s => s.Id == id).Select(s => (SubscriberStatus?)s.Status).FirstOrDefaultAsync(cancellationToken);
        return status switch
        {
            null => ConfirmOutcome.NotFound,
            SubscriberStatus.Confirmed => ConfirmOutcome.AlreadyConfirmed,
            SubscriberStatus.Pending => ConfirmOutcome.Superseded,
            _ => ConfirmOutcome.NotPending,
        };
    }

    /// <summary>
    /// An operator replaces a webhook subscriber's signing secret (it leaked, or the receiver lost it). The only
    /// way a secret ever changes: a public request never does.
    /// </summary>
    /// <returns>The new secret, to show once; null when there is no such subscriber.</returns>
    /// <exception cref="StateConflictException">The subscriber is not a webhook: it has no secret.</exception>
    public async Task<CreatedSubscriber?> RotateSecretAsync(Guid subscriberId, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.Include(s => s.Components).FirstOrDefaultAsync(s => s.Id == subscriberId, cancellationToken);
        if (subscriber is null)
        {
            return null;
        }
        if (subscriber.Channel != Channel.Webhook)
        {
            throw new StateConflictException("Not a webhook subscriber.",
                $"Only webhook subscribers have a signing secret; this one is a {subscriber.Channel.ToWire()} subscriber.");
        }
        var secret = secrets.Issue(subscriber);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedSubscriber(subscriber, secret);
    }

    /// <returns>false when the subscriber does not exist (erased).</returns>
    public async Task<bool> UnsubscribeAsync(Guid subscriberId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var changed = await db.Subscribers
            .Where(s => s.Id == subscriberId && (s.Status == SubscriberStatus.Pending || s.Status == SubscriberStatus.Confirmed))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriberStatus.Unsubscribed).SetProperty(x => x.UnsubscribedAt, now), cancellationToken);
        return changed > 0 || await db.Subscribers.AnyAsync(s => s.Id == subscriberId, cancellationToken);
    }

    /// <summary>
    /// Erasure: the subscriber and its personal data are gone. Its deliveries keep only a keyed hash
    /// of the address, and an address that had opted out stays suppressed (as a hash) so it is
    /// never messaged again.
    /// </summary>
    /// <returns>false when there was no such subscriber.</returns>
    public async Task<bool> EraseAsync(Guid subscriberId, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == subscriberId, cancellationToken);
        if (subscriber is null)
        {
            return false;
        }
        var hash = hasher.Hash(subscriber.Channel, subscriber.Address);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        if (subscriber.Status is SubscriberStatus.Unsubscribed or SubscriberStatus.Suppressed
            && !await db.Suppressions.AnyAsync(x => x.Channel == subscriber.Channel && x.AddressHash == hash, cancellationToken))
        {
            db.Suppressions.Add(new Suppression
            {
                Channel = subscriber.Channel,
                AddressHash = hash,
                Reason = subscriber.Status == SubscriberStatus.Suppressed ? "suppressed, then erased" : "opted out, then erased",
                CreatedAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        var erased = "erased:" + hash;
        await db.Deliveries.Where(d => d.SubscriberId == subscriberId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Recipient, erased), cancellationToken);
        await db.Set<SubscriberComponent>().Where(c => c.SubscriberId == subscriberId).ExecuteDeleteAsync(cancellationToken);
        await db.Subscribers.Where(s => s.Id == subscriberId).ExecuteDeleteAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<Page<Subscriber>> ListAsync(SubscriberFilter filter, CancellationToken cancellationToken)
    {
        var query = db.Subscribers.AsNoTracking().Include(s => s.Components).AsQueryable();
        if (filter.Channel is { } channel)
        {
            query = query.Where(s => s.Channel == channel);
        }
        if (filter.Status is { } status)
        {
            query = query.Where(s => s.Status == status);
        }
        if (!string.IsNullOrEmpty(filter.Address))
        {
            var address = filter.Address;
            // Ordinal prefix: on PostgreSQL (C collation) a LIKE 'x%' that the (channel, address) index serves.
            query = filter.AddressPrefix ? query.Where(s => s.Address.StartsWith(address)) : query.Where(s => s.Address == address);
        }
        if (filter.Component is { } component)
        {
            query = query.Where(s => !s.Components.Any() || s.Components.Any(c => c.ComponentId == component));
        }
        if (filter.Cursor is { } cursor)
        {
            query = query.Where(s => s.Id > cursor);
        }
        var rows = await query.OrderBy(s => s.Id).Take(filter.Limit + 1).ToListAsync(cancellationToken);
        var more = rows.Count > filter.Limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new Page<Subscriber>(rows, more ? rows[^1].Id.ToString() : null);
    }

    /// <summary>
    /// An operator asks for a pending subscriber's confirmation to go out again (the first was lost or
    /// expired). The same throttle as a repeated public request applies, so the button cannot flood an address.
    /// </summary>
    public async Task<ResendOutcome> ResendConfirmationAsync(Guid subscriberId, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.FirstOrDefaultAsync(s => s.Id == subscriberId, cancellationToken);
        if (subscriber is null)
        {
            return ResendOutcome.NotFound;
        }
        if (subscriber.Status != SubscriberStatus.Pending)
        {
            return ResendOutcome.NotPending; // confirmed needs none; someone who left is never asked again
        }
        if (!RequestConfirmation(subscriber, time.GetUtcNow()))
        {
            return ResendOutcome.TooSoon;
        }
        await db.SaveChangesAsync(cancellationToken);
        outbox.Notify();
        return ResendOutcome.Queued;
    }

    public Task<bool> IsSuppressedAsync(Channel channel, string address, CancellationToken cancellationToken)
    {
        var hash = hasher.Hash(channel, address);
        return db.Suppressions.AnyAsync(x => x.Channel == channel && x.AddressHash == hash, cancellationToken);
    }

    private static Subscriber NewSubscriber(Channel channel, string address, List<Guid> components, DateTimeOffset now)
    {
        var subscriber = new Subscriber { Channel = channel, Address = address, CreatedAt = now };
        subscriber.Components.AddRange(components.Select(c => new SubscriberComponent { SubscriberId = subscriber.Id, ComponentId = c }));
        return subscriber;
    }

    private void ReplaceComponents(Subscriber subscriber, List<Guid> components)
    {
        foreach (var old in subscriber.Components.Where(c => !components.Contains(c.ComponentId)).ToList())
        {
            subscriber.Components.Remove(old);
            db.Remove(old);
        }
        foreach (var id in components.Where(id => subscriber.Components.All(c => c.ComponentId != id)))
        {
            var added = new SubscriberComponent { SubscriberId = subscriber.Id, ComponentId = id };
            db.Add(added);
            subscriber.Components.Add(added);
        }
    }

    /// <summary>Queues a confirmation unless the address was sent one too recently or too often today.</summary>
    private bool RequestConfirmation(Subscriber subscriber, DateTimeOffset now)
    {
        var o = options.Value;
        if (subscriber.ConfirmationRequestedAt is { } last && now - last < o.ConfirmationResendAfter)
        {
            return false;
        }
        if (subscriber.ConfirmationWindowStart is not { } start || now - start >= TimeSpan.FromDays(1))
        {
            subscriber.ConfirmationWindowStart = now;
            subscriber.ConfirmationsInWindow = 0;
        }
        if (subscriber.ConfirmationsInWindow >= o.MaxConfirmationsPerDay)
        {
            return false;
        }
        subscriber.ConfirmationsInWindow++;
        subscriber.ConfirmationRequestedAt = now;
        Outbox.Enqueue(db, new SendSubscriptionConfirmation { SubscriberId = subscriber.Id, RequestedAt = now }, now);
        return true;
    }

    private async Task<List<Guid>> ValidateComponentsAsync(List<Guid>? requested, FieldErrors errors, CancellationToken cancellationToken)
    {
        var ids = (requested ?? []).Distinct().ToList();
        if (ids.Count == 0)
        {
            return ids;
        }
        var known = await db.Components.Where(c => ids.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken);
        for (var i = 0; i < ids.Count; i++)
        {
            if (!known.Contains(ids[i]))
            {
                errors.Add($"components[{i}]", $"no component has id {ids[i]}.");
            }
        }
        return ids;
    }
}
