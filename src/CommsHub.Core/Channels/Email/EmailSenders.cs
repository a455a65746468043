using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGrid;
using SendGrid.Helpers.Mail;
using CommsHub.Core.Deliveries;

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

/// <summary>A sender whose provider can list what it accepted under a batch key (<see cref="RenderedEmail.BatchKey"/>).</summary>
public interface IEmailActivity
{
    /// <summary>The recipients (lower-case address → the provider's message id) the provider holds for the request with this key; empty when none.</summary>
    Task<IReadOnlyDictionary<string, string>> FindBatchAsync(string batchKey, int recipients, CancellationToken cancellationToken);
}

/// <summary>
/// Sends through the official SendGrid SDK, one request for up to 1,000 recipients, behind SendGrid's
/// circuit (<see cref="ProviderCircuit"/>): while it is open, or SendGrid's Retry-After runs, the
/// answer is <see cref="SendResult.Held"/> and nothing is sent. The SDK's own retries stay off (it
/// retries only on the HttpClient it makes itself; ours is the factory's, bounded by SendGrid:Timeout).
/// </summary>
public sealed class SendGridEmailSender(IHttpClientFactory httpClients, IOptions<EmailOptions> options, TimeProvider time,
    ILogger<SendGridEmailSender> logger) : IEmailSender, IEmailActivity
{
    /// <summary>The custom arg that carries <see cref="RenderedEmail.BatchKey"/>.</summary>
    public const string BatchKeyArg = "batch_key";

    public const string HttpClientName = "sendgrid";
    public const string Provider = "sendgrid";
    private readonly EmailOptions _options = options.Value;
    private readonly ProviderCircuit _circuit = new(Provider, "SendGrid", options.Value.SendGrid.CircuitBreaker, time, logger);

    /// <summary>Closed, open or half-open: what operators see in the logs, and what tests read.</summary>
    public Polly.CircuitBreaker.CircuitState CircuitState => _circuit.State;

    public Task<SendResult> SendAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken) =>
        _circuit.SendAsync(ct => SendOnceAsync(email, recipients, ct), cancellationToken);

    private async Task<SendResult> SendOnceAsync(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients, CancellationToken cancellationToken)
    {
        if (!EmailAddresses.TryParseSender(_options.From, out var fromAddress, out var fromName))
        {
            // Options validation refuses this at start; kept so a misconfiguration can never send from "".
            return new SendResult(DeliveryStatus.Failed, Provider, Error: $"Channels:Email:From '{_options.From}' is not a valid sender.");
        }
        var requestBody = MailSendBody(new EmailAddress(fromAddress, fromName), email, recipients);
        var client = new SendGridClient(httpClients.CreateClient(HttpClientName), new SendGridClientOptions
        {
            ApiKey = _options.SendGrid.ApiKey,
            Host = _options.SendGrid.BaseUrl.TrimEnd('/'),
        });

        var started = Stopwatch.GetTimestamp();
        Response response;
        try
        {
            // What SendEmailAsync does, with the body written by MailSendBody instead of SendGridMessage.Serialize.
            response = await client.RequestAsync(BaseClient.Method.POST, requestBody, urlPath: "mail/send", cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // After a time-out SendGrid may have accepted the batch: it stays in doubt, and is looked up before it is sent
            // again where the Email Activity look-up is on.
            var reason = ex is TaskCanceledException ? $"no answer within {_options.SendGrid.Timeout.TotalSeconds:0.#} s" : ex.Message;
            return new SendResult(DeliveryStatus.Queued, Provider, Error: $"SendGrid unreachable: {reason}", Transient: true,
                Latency: Stopwatch.GetElapsedTime(started)) { Unanswered = ex is TaskCanceledException };
        }
        var latency = Stopwatch.GetElapsedTime(started);
        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            var messageId = response.Headers.TryGetValues("X-Message-Id", out var values) ? values.FirstOrDefault() : null;
            return new SendResult(DeliveryStatus.Sent, Provider, messageId, status, Latency: latency);
        }

        var body = await response.Body.ReadAsStringAsync(cancellationToken);
        // 400, 401, 403, 413: the request or the key is wrong, and sending it again cannot help.
        var transient = status is 408 or 429 || status >= 500;
        return new SendResult(transient ? DeliveryStatus.Queued : DeliveryStatus.Failed, Provider, HttpStatus: status,
            Error: $"SendGrid answered {status}: {Truncate(body, 1500)}", Transient: transient, Latency: latency,
            RetryAfter: transient ? RetryAfterHeader.Parse(response.Headers, time.GetUtcNow()) : null);
    }

    /// <summary>
    /// <c>GET /v3/messages?query=unique_args['batch_key']="…"</c> (Email Activity) through the SDK's client. Activity
    /// shows a message some seconds after SendGrid accepted it; the lease a crash leaves behind lasts longer.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> FindBatchAsync(string batchKey, int recipients, CancellationToken cancellationToken)
    {
        var client = new SendGridClient(httpClients.CreateClient(HttpClientName), new SendGridClientOptions
        {
            ApiKey = _options.SendGrid.ApiKey,
            Host = _options.SendGrid.BaseUrl.TrimEnd('/'),
        });
        var query = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["query"] = $"unique_args['{BatchKeyArg}']=\"{batchKey}\"",
            ["limit"] = Math.Clamp(recipients, 1, 1000),
        });
        var response = await client.RequestAsync(BaseClient.Method.GET, queryParams: query, urlPath: "messages", cancellationToken: cancellationToken);
        var body = await response.Body.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"SendGrid Email Activity answered {(int)response.StatusCode}: {Truncate(body, 500)}");
        }
        var found = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using var json = JsonDocument.Parse(body);
        if (json.RootElement.TryGetProperty("messages", out var messages))
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.TryGetProperty("to_email", out var to) && to.GetString() is { } address
                    && message.TryGetProperty("msg_id", out var id) && id.GetString() is { } msgId)
                {
                    // Activity's id is the X-Message-Id the send answered, with a per-recipient suffix.
                    var dot = msgId.IndexOf('.', StringComparison.Ordinal);
                    found[address] = dot > 0 ? msgId[..dot] : msgId;
                }
            }
        }
        return found;
    }

    /// <summary>
    /// The v3 mail/send body <see cref="SendGridMessage"/> would serialise: from, subject, the batch key, text and HTML
    /// content, and one personalization per recipient (each with its own address, custom args, headers and
    /// substitutions), so nobody sees anyone else's address and each carries its own unsubscribe link and the delivery
    /// id Event Webhook events return.
    /// </summary>
    /// <remarks>
    /// Written with <see cref="Utf8JsonWriter"/> rather than the SDK's Newtonsoft serialiser: a campaign's request is a
    /// thousand personalizations of ~1 KB each, and serialising them through SendGridMessage was the largest part of the
    /// worker's CPU per campaign email (about as much again as everything else it did for that email).
    /// </remarks>
    internal static string MailSendBody(EmailAddress from, RenderedEmail email, IReadOnlyList<EmailRecipient> recipients)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096 + recipients.Count * 512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("from");
            if (!string.IsNullOrEmpty(from.Name))
            {
                json.WriteString("name", from.Name);
            }
            json.WriteString("email", from.Email);
            json.WriteEndObject();
            json.WriteString("subject", email.Subject);
            json.WriteStartArray("personalizations");
            foreach (var recipient in recipients)
            {
                json.WriteStartObject();
                json.WriteStartArray("to");
                json.WriteStartObject();
                json.WriteString("email", recipient.Address);
                json.WriteEndObject();
                json.WriteEndArray();
                Values(json, "headers", recipient.Headers);
                Values(json, "substitutions", recipient.Substitutions);
                Values(json, "custom_args", recipient.CustomArgs);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("content");
            foreach (var (type, value) in new[] { ("text/plain", email.Text), ("text/html", email.Html) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    json.WriteStartObject();
                    json.WriteString("type", type);
                    json.WriteString("value", value);
                    json.WriteEndObject();
                }
            }
            json.WriteEndArray();
            if (email.BatchKey is { } key)
            {
                json.WriteStartObject("custom_args");
                json.WriteString(BatchKeyArg, key);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // The body goes to SendGrid's API, never into a page: '<', '>', '&' and non-ASCII letters need no \u escapes
    // (the default encoder's, which took the slow path on every HTML part and unsubscribe URL).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Values(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, string>? values)
    {
        if (values is null)
        {
            return;
        }
        json.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            json.WriteString(key, value);
        }
        json.WriteEndObject();
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
        Task.FromResult(new SendResult(DeliveryStatus.Sandboxed, "sandbox") { Rendered = Rendered(email), RenderedEach = Personal(email, recipients) });

    /// <summary>
    /// Personal messages (a campaign's) travel as substitutions SendGrid fills into the request's placeholders: filled
    /// in here as SendGrid would, so each delivery records its own subject and text rather than <c>%personal_text%</c>.
    /// </summary>
    private static Dictionary<Guid, string>? Personal(RenderedEmail email, IReadOnlyList<EmailRecipient> recipients)
    {
        if (!recipients.Any(r => r.Substitutions is { Count: > 0 }))
        {
            return null;
        }
        var each = new Dictionary<Guid, string>();
        foreach (var r in recipients)
        {
            if (r.Substitutions is { Count: > 0 } values && r.CustomArgs?.GetValueOrDefault("delivery_id") is { } id && Guid.TryParse(id, out var deliveryId))
            {
                string Fill(string text) => values.Aggregate(text, (t, v) => t.Replace(v.Key, v.Value, StringComparison.Ordinal));
                each[deliveryId] = Rendered(email with { Subject = Fill(email.Subject), Text = Fill(email.Text) });
            }
        }
        return each;
    }

    /// <summary>
    /// The subject and the text body. Each recipient's own unsubscribe link stays the placeholder
    /// SendGrid would have filled in: one text for the whole request.
    /// </summary>
    public static string Rendered(RenderedEmail email) => $"Subject: {email.Subject}\n\n{email.Text}";
}
