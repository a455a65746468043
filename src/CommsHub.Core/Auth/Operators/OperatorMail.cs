using System.Globalization;
using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Messaging;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Auth.Operators;

/// <summary>
/// The invitation and reset emails: messages of kind <c>operator_notice</c>, sent by the one sending
/// pipeline (SendGrid, or the sandbox without a key), so they are retried, recorded and listed like
/// any delivery. Their content, a link that sets a password, is stored encrypted.
/// </summary>
public sealed class OperatorMail(CommsHubDbContext db, OutboundMessages messages, OutboxSignal outbox, IOptions<EmailOptions> emailOptions,
    IOptions<CommsHubOptions> hub, ILogger<OperatorMail> logger)
{
    /// <summary>Without a SendGrid key nothing leaves the host, so the API hands the invitation link to the admin instead.</summary>
    public bool Sandboxed => emailOptions.Value.Sandboxed;

    /// <summary>Queues the email (committed with the context's other changes) and wakes the outbox.</summary>
    public async Task SendLinkAsync(Operator op, OperatorTokenPurpose purpose, string url, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        var email = Render(op, purpose, url, expiresAt);
        messages.Queue(DeliveryKind.OperatorNotice, "operator." + purpose.ToString().ToLowerInvariant(),
            new MessageContent(email.Subject, email.Text, email.Html), [new MessageRecipient(Channel.Email, op.Id, op.Email)]);
        await db.SaveChangesAsync(cancellationToken);
        outbox.Notify();
        logger.LogInformation("Queued the {Purpose} email to operator {OperatorId}", purpose, op.Id);
    }

    public RenderedEmail Render(Operator op, OperatorTokenPurpose purpose, string url, DateTimeOffset expiresAt)
    {
        var page = hub.Value.PageName;
        var until = expiresAt.UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var (subject, heading, intro, action) = purpose == OperatorTokenPurpose.Invitation
            ? ($"You are invited to run {page}", $"Welcome to {page}",
                $"You have been given the {op.Role} role on {page}. Choose a password to sign in.", "Set your password")
            : ($"Reset your {page} password", "Reset your password",
                $"Someone asked to reset the password of {op.Email} on {page}. If it was you, choose a new one.", "Choose a new password");
        var footer = $"The link works once, until {until}. If you did not expect this email, ignore it.";
        var text = $"{intro}\n\n{action}: {url}\n\n{footer}\n";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{E(heading)}</title></head>
            <body style="margin:0;padding:24px;background:#f6f7f9;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f2328;">
            <table role="presentation" width="100%" style="max-width:600px;margin:0 auto;background:#ffffff;border-radius:8px;border:1px solid #d0d7de;"><tr><td style="padding:24px;">
            <h1 style="margin:0 0 12px;font-size:20px;">{E(heading)}</h1>
            <p style="font-size:15px;line-height:1.5;">{E(intro)}</p>
            <p style="margin:20px 0;"><a href="{E(url)}" style="display:inline-block;padding:10px 18px;background:#1f6feb;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600;">{E(action)}</a></p>
            <p style="font-size:13px;color:#57606a;">{E(footer)}</p>
            </td></tr></table></body></html>
            """;
        return new RenderedEmail(subject, text, html);
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
