using System.Collections.Concurrent;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;

namespace CommsHub.Tests.Auth;

/// <summary>An email sender that keeps what it was asked to send, answering as the sandbox does.</summary>
public sealed class CapturedEmails : IEmailSender
{
    public ConcurrentQueue<(RenderedEmail Email, string To)> Sent { get; } = new();

    public Task<SendResult> SendAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken)
    {
        foreach (var r in recipients)
        {
            Sent.Enqueue((email, r.Address));
        }
        return Task.FromResult(new SendResult(DeliveryStatus.Sandboxed, "sandbox"));
    }

    /// <summary>The path and query of the last link mailed to the address.</summary>
    public string LastLinkTo(string address)
    {
        var (email, _) = Sent.Last(s => s.To == address);
        var url = email.Text.Split(' ', '\n').First(w => w.StartsWith("https://", StringComparison.Ordinal));
        return new Uri(url).PathAndQuery;
    }
}
