using System.Collections.Concurrent;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Testing;

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

    /// <summary>
    /// The path and query of the link in the <paramref name="nth"/> email to the address (1 = the first), once it
    /// has been sent: emails go out through the delivery pipeline, after the request that asked for them.
    /// </summary>
    public async Task<string> LinkToAsync(string address, int nth = 1)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Sent.Count(s => s.To == address) >= nth), $"email {nth} to {address} is sent");
        var (email, _) = Sent.Where(s => s.To == address).ElementAt(nth - 1);
        var url = email.Text.Split(' ', '\n').First(w => w.StartsWith("https://", StringComparison.Ordinal));
        return new Uri(url).PathAndQuery;
    }

    /// <summary>Everything sent once at least <paramref name="count"/> emails are.</summary>
    public async Task<IReadOnlyList<(RenderedEmail Email, string To)>> SentAsync(int count)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Sent.Count >= count), $"{count} email(s) are sent");
        return [.. Sent];
    }
}
