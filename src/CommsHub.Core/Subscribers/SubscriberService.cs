using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Subscribers;

public sealed record CreateSubscriberRequest(
    string? Email = null,
    string? Phone = null,
    string? WebhookUrl = null,
    List<Guid>? Components = null,
    bool? Confirmed = null);

public sealed record SubscriberFilter(Channel? Channel = null, SubscriberStatus? Status = null, Guid? Cursor = null, int Limit = 100);

public sealed class SubscriberConflictException(Guid existingId)
    : Exception($"A subscriber with this address already exists ({existingId}).")
{
    public Guid ExistingId { get; } = existingId;
}

public sealed class SubscriberService(CommsHubDbContext db, TimeProvider time)
{
    public async Task<Subscriber> CreateAsync(CreateSubscriberRequest request, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var given = new[] { request.Email, request.Phone, request.WebhookUrl }.Count(v => v is not null);
        string address = "";
        if (given != 1)
        {
            errors.Add("email", "give exactly one of email, phone or webhookUrl.");
        }
        else if (request.Email is not null && !EmailAddresses.TryNormalize(request.Email, out address))
        {
            errors.Add("email", $"'{request.Email}' is not a valid email address.");
        }
        else if (request.Phone is not null)
        {
            errors.Add("phone", "SMS subscriptions are not available in this version; subscribe by email.");
        }
        else if (request.WebhookUrl is not null)
        {
            errors.Add("webhookUrl", "webhook subscriptions are not available in this version; subscribe by email.");
        }
        var componentIds = (request.Components ?? []).Distinct().ToList();
        if (componentIds.Count > 0)
        {
            var known = await db.Components.Where(c => componentIds.Contains(c.Id)).Select(c => c.Id).ToListAsync(cancellationToken);
            for (var i = 0; i < componentIds.Count; i++)
            {
                if (!known.Contains(componentIds[i]))
                {
                    errors.Add($"components[{i}]", $"no component has id {componentIds[i]}.");
                }
            }
        }
        errors.ThrowIfAny();

        var existing = await db.Subscribers.AsNoTracking()
            .Where(s => s.Channel == Channel.Email && s.Address == address).Select(s => (Guid?)s.Id)
            .FirstOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            throw new SubscriberConflictException(id);
        }

        var now = time.GetUtcNow();
        var confirmed = request.Confirmed ?? false;
        var subscriber = new Subscriber
        {
            Channel = Channel.Email,
            Address = address,
            Status = confirmed ? SubscriberStatus.Confirmed : SubscriberStatus.Pending,
            CreatedAt = now,
            ConfirmedAt = confirmed ? now : null,
        };
        subscriber.Components.AddRange(componentIds.Select(c => new SubscriberComponent { SubscriberId = subscriber.Id, ComponentId = c }));
        db.Subscribers.Add(subscriber);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with an identical request: report it the same way.
            db.ChangeTracker.Clear();
            var winner = await db.Subscribers.AsNoTracking()
                .Where(s => s.Channel == Channel.Email && s.Address == address).Select(s => (Guid?)s.Id)
                .FirstOrDefaultAsync(cancellationToken);
            if (winner is { } w)
            {
                throw new SubscriberConflictException(w);
            }
            throw;
        }
        return subscriber;
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
}
