using System.Diagnostics;
using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Channels;
using Microsoft.Extensions.Options;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace CommsHub.Core.Channels.Email;

/// <summary>
/// One recipient of a request, with what is theirs alone: custom args (returned on every Event
/// Webhook event), headers such as their own List-Unsubscribe, and substitutions into the body.
/// </summary>
public sealed record EmailRecipient(
    string Address,
    IReadOnlyDictionary<string, string>? CustomArgs = null,
    IReadOnlyDictionary<string, string>? Headers = null,
    IReadOnlyDictionary<string, string>? Substitutions = null);

public interface IEmailSender
{
    Task<SendResult> SendAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken);
}

/// <summary>Sends through the official SendGrid SDK, one request for up to 1,000 recipients.</summary>
public sealed class SendGridEmailSender(IHttpClientFactory httpClients, IOptions<EmailOptions> options) : IEmailSender
{
    public const string HttpClientName = "sendgrid";
    private readonly EmailOptions _options = options.Value;

    public async Task<SendResult> SendAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken)
    {
        if (!EmailAddresses.TryParseSender(_options.From, out var fromAddress, out var fromName))
        {
            // Options validation refuses this at start; kept so a misconfiguration can never send from "".
            return new SendResult(DeliveryStatus.Failed, "sendgrid", Error: $"Channels:Email:From '{_options.From}' is not a valid sender.");
        }
        var message = new SendGridMessage
        {
            From = new EmailAddress(fromAddress, fromName),
            Subject = email.Subject,
            PlainTextContent = email.Text,
            HtmlContent = email.Html,
            // One personalization per recipient: nobody sees anyone else's address, and each
            // carries its own unsubscribe link and the delivery id that Event Webhook events return.
            Personalizations = recipients.Select(r => new Personalization
            {
                Tos = [new EmailAddress(r.Address)],
                CustomArgs = r.CustomArgs?.ToDictionary(),
                Headers = r.Headers?.ToDictionary(),
                Substitutions = r.Substitutions?.ToDictionary(),
            }).ToList(),
        };

        var client = new SendGridClient(httpClients.CreateClient(HttpClientName), new SendGridClientOptions
        {
            ApiKey = _options.SendGrid.ApiKey,
            Host = _options.SendGrid.BaseUrl.TrimEnd('/'),
        });

        var started = Stopwatch.GetTimestamp();
        Response response;
        try
        {
            response = await client.SendEmailAsync(message, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new SendResult(DeliveryStatus.Failed, "sendgrid", Error: $"SendGrid unreachable: {ex.Message}", Transient: true,
                Latency: Stopwatch.GetElapsedTime(started));
        }
        var latency = Stopwatch.GetElapsedTime(started);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var messageId = response.Headers.TryGetValues("X-Message-Id", out var values) ? values.FirstOrDefault() : null;
            return new SendResult(DeliveryStatus.Sent, "sendgrid", messageId, status, Latency: latency);
        }

        var body = await response.Body.ReadAsStringAsync(cancellationToken);
        var transient = response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500;
        return new SendResult(DeliveryStatus.Failed, "sendgrid", HttpStatus: status,
            Error: $"SendGrid answered {status}: {Truncate(body, 1500)}", Transient: transient, Latency: latency);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

/// <summary>
/// Used when no SendGrid key is configured: the message is rendered and audited as
/// <c>sandboxed</c>, and nothing leaves the machine.
/// </summary>
public sealed class SandboxEmailSender : IEmailSender
{
    public Task<SendResult> SendAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken) =>
        Task.FromResult(new SendResult(DeliveryStatus.Sandboxed, "sandbox"));
}
