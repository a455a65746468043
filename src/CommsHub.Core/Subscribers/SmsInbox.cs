using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

/// <summary>
/// Replies texted to our number: YES confirms (and, like Twilio, opts back in), the stop words
/// unsubscribe, START/UNSTOP resubscribe, HELP explains. Each Twilio MessageSid is applied once:
/// a replayed request changes nothing and answers nothing.
/// </summary>
/// <remarks>
/// Twilio itself answers STOP and START on our number (its default opt-out handling), so those
/// get an empty reply here; a second confirmation text would be noise the person pays for.
/// </remarks>
public sealed class SmsInbox(CommsHubDbContext db, AddressHasher hasher, IOptions<SmsOptions> sms, IOptions<CommsHubOptions> hub, TimeProvider time)
{
    /// <returns>The text to reply, or null for no reply.</returns>
    public async Task<string?> HandleAsync(string messageSid, string from, string? body, CancellationToken cancellationToken)
    {
        var number = PhoneNumberNormalizer.TryNormalize(from, sms.Value.DefaultRegion, out var e164, out _) ? e164 : from;
        var now = time.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        db.InboundMessages.Add(new InboundMessage { Provider = "twilio-sms", MessageId = messageSid, ReceivedAt = now });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (IsDuplicate(ex))
        {
            return null; // a replay (or Twilio's own retry) of a message already applied
        }

        var subscriber = await db.Subscribers.FirstOrDefaultAsync(s => s.Channel == Channel.Sms && s.Address == number, cancellationToken);
        var page = hub.Value.PageName;
        string? reply = null;
        switch (SmsKeywords.Parse(body))
        {
            case SmsKeyword.Yes:
                if (subscriber is { Status: SubscriberStatus.Pending or SubscriberStatus.Unsubscribed })
                {
                    Confirm(subscriber, now);
                    reply = $"{page}: you will get incident alerts by text. Reply STOP to stop, HELP for help.";
                }
                else if (subscriber is { Status: SubscriberStatus.Confirmed })
                {
                    reply = $"{page}: you already get incident alerts by text. Reply STOP to stop.";
                }
                else
                {
                    reply = $"{page}: there is no subscription waiting for this number. Subscribe at {hub.Value.Link("/")}";
                }
                break;
            case SmsKeyword.Stop:
                if (subscriber is { Status: SubscriberStatus.Pending or SubscriberStatus.Confirmed })
                {
                    subscriber.Status = SubscriberStatus.Unsubscribed;
                    subscriber.UnsubscribedAt = now;
                }
                break;
            case SmsKeyword.Start:
                if (subscriber is { Status: SubscriberStatus.Unsubscribed or SubscriberStatus.Pending })
                {
                    Confirm(subscriber, now);
                }
                // The person's own START lifts a suppression left by an earlier erasure.
                var hash = hasher.Hash(Channel.Sms, number);
                await db.Suppressions.Where(x => x.Channel == Channel.Sms && x.AddressHash == hash).ExecuteDeleteAsync(cancellationToken);
                break;
            case SmsKeyword.Help:
                reply = $"{page} incident alerts: {hub.Value.Link("/")} . Reply STOP to unsubscribe.";
                break;
        }
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return reply;
    }

    /// <summary>
    /// Only the replay guard's key conflict means "already applied". Anything else (the database
    /// going away mid-insert) must fail the request, so Twilio retries instead of the text being
    /// dropped behind a 200.
    /// </summary>
    private static bool IsDuplicate(DbUpdateException ex) => ex.InnerException switch
    {
        Npgsql.PostgresException pg => pg.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        _ => false,
    };

    private static void Confirm(Subscriber subscriber, DateTimeOffset now)
    {
        subscriber.Status = SubscriberStatus.Confirmed;
        subscriber.ConfirmedAt = now;
        subscriber.UnsubscribedAt = null;
    }
}
