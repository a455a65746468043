using System.Diagnostics;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;
using CommsHub.Core.Deliveries;

namespace CommsHub.Core.Channels.Sms;

public interface ISmsSender
{
    /// <param name="to">The recipient in E.164.</param>
    /// <param name="statusCallbackUrl">Absolute URL Twilio posts delivery status to, or null for none.</param>
    Task<SendResult> SendAsync(string to, string body, string? statusCallbackUrl, CancellationToken ct);

    /// <summary>
    /// The message with this body sent to <paramref name="to"/> from our sender no earlier than
    /// <paramref name="since"/>, as the provider accepted it; null when it has none (or cannot say).
    /// </summary>
    Task<SendResult?> FindAsync(string to, string body, DateTimeOffset since, CancellationToken ct);
}

/// <summary>
/// Sends one SMS through the official Twilio SDK, over the "twilio" HttpClient, behind Twilio's circuit
/// (<see cref="ProviderCircuit"/>): while it is open, or Twilio's Retry-After runs, the answer is
/// <see cref="SendResult.Held"/> and nothing is sent.
/// </summary>
public sealed class TwilioSmsSender(IHttpClientFactory httpClients, IOptions<SmsOptions> options, TimeProvider time,
    ILogger<TwilioSmsSender> logger) : ISmsSender
{
    public const string HttpClientName = "twilio";
    public const string Provider = "twilio";
    private const int TooManyRequests = 20429;
    private readonly SmsOptions _options = options.Value;
    private readonly ProviderCircuit _circuit = new(Provider, "Twilio", options.Value.Twilio.CircuitBreaker, time, logger);

    /// <summary>Closed, open or half-open: what operators see in the logs, and what tests read.</summary>
    public Polly.CircuitBreaker.CircuitState CircuitState => _circuit.State;

    public Task<SendResult> SendAsync(string to, string body, string? statusCallbackUrl, CancellationToken ct)
    {
        Uri? statusCallback = null;
        if (statusCallbackUrl is not null
            && (!Uri.TryCreate(statusCallbackUrl, UriKind.Absolute, out statusCallback) || statusCallback.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"The status callback '{statusCallbackUrl}' is not an absolute http(s) URL.", nameof(statusCallbackUrl));
        }
        return _circuit.SendAsync(token => SendOnceAsync(to, body, statusCallback, token), ct);
    }

    private async Task<SendResult> SendOnceAsync(string to, string body, Uri? statusCallback, CancellationToken ct)
    {
        var message = new CreateMessageOptions(new PhoneNumber(to)) { Body = body, StatusCallback = statusCallback };
        if (_options.FromIsMessagingService)
        {
            message.MessagingServiceSid = _options.From;
        }
        else
        {
            message.From = new PhoneNumber(_options.From);
        }

        // A client per send is cheap: the pooled handler underneath comes from the factory.
        var http = new SystemNetHttpClient(httpClients.CreateClient(HttpClientName));
        var client = new TwilioRestClient(_options.Twilio.AccountSid, _options.Twilio.AuthToken, httpClient: http);

        // The SDK takes no CancellationToken, so the token can only stop a send that has not started.
        // Once on the wire we wait for Twilio's answer (bounded by Twilio:Timeout): abandoning it
        // could turn an accepted message into a retried duplicate.
        ct.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var sent = await MessageResource.CreateAsync(message, client);
            return new SendResult(DeliveryStatus.Sent, Provider, sent.Sid, (int?)http.LastResponse?.StatusCode, Latency: Stopwatch.GetElapsedTime(started));
        }
        catch (ApiException ex) when (http.LastResponse is { } answer && (int)answer.StatusCode is >= 200 and < 300)
        {
            // Accepted, but the answer was not a message resource. Sent is the truth: a retry would text the subscriber twice.
            return new SendResult(DeliveryStatus.Sent, Provider, HttpStatus: (int)answer.StatusCode,
                Error: $"Twilio accepted the message but its answer could not be read: {ex.Message}", Latency: Stopwatch.GetElapsedTime(started));
        }
        catch (ApiException ex)
        {
            return Rejected(StatusOf(ex.Status), ex.Code, ex.Message, Stopwatch.GetElapsedTime(started), RetryAfter());
        }
        catch (ApiStandardException ex)
        {
            return Rejected(StatusOf(ex.Status), ex.Code, ex.Message, Stopwatch.GetElapsedTime(started), RetryAfter());
        }
        catch (ApiConnectionException ex)
        {
            // Refused, reset, or no answer within Twilio:Timeout: Twilio never said it accepted, so it is retried. After a
            // time-out Twilio may have accepted after all: the text stays in doubt and is looked up before it is sent again.
            var timedOut = ex.InnerException is TaskCanceledException;
            var reason = timedOut
                ? $"no answer within {_options.Twilio.Timeout.TotalSeconds:0.#} s"
                : ex.InnerException?.Message ?? ex.Message;
            return new SendResult(DeliveryStatus.Queued, Provider, Error: $"Twilio unreachable: {reason}", Transient: true,
                Latency: Stopwatch.GetElapsedTime(started)) { Unanswered = timedOut };
        }

        // The exception's status is 0 when the body was not Twilio's error JSON (a proxy's 502 page, say); the raw answer still has it.
        int StatusOf(int status) => status != 0 ? status : (int?)http.LastResponse?.StatusCode ?? 0;
        TimeSpan? RetryAfter() => RetryAfterHeader.Parse(http.LastResponse?.Headers, time.GetUtcNow());
    }

    /// <summary>
    /// Reads Twilio's message list (To, From and DateSent ≥ the day of <paramref name="since"/>, newest first)
    /// through the SDK and matches on the body and the time the message was created.
    /// </summary>
    public async Task<SendResult?> FindAsync(string to, string body, DateTimeOffset since, CancellationToken ct)
    {
        var options = new ReadMessageOptions
        {
            To = new PhoneNumber(to),
            DateSentAfter = since.UtcDateTime.Date,
            PageSize = LookupPage,
            Limit = LookupPage,
        };
        if (!_options.FromIsMessagingService)
        {
            options.From = new PhoneNumber(_options.From);
        }
        var http = new SystemNetHttpClient(httpClients.CreateClient(HttpClientName));
        var client = new TwilioRestClient(_options.Twilio.AccountSid, _options.Twilio.AuthToken, httpClient: http);
        ct.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        // Twilio's clock and ours differ a little; a message created well before the request went out is another one.
        var notBefore = since.UtcDateTime - LookupSkew;
        foreach (var message in await MessageResource.ReadAsync(options, client))
        {
            if (message.Body == body && message.DateCreated is { } created && created.ToUniversalTime() >= notBefore
                && (!_options.FromIsMessagingService || message.MessagingServiceSid == _options.From))
            {
                return new SendResult(DeliveryStatus.Sent, Provider, message.Sid, (int?)http.LastResponse?.StatusCode, Latency: Stopwatch.GetElapsedTime(started));
            }
        }
        return null;
    }

    private const int LookupPage = 50;
    private static readonly TimeSpan LookupSkew = TimeSpan.FromMinutes(1);

    private static SendResult Rejected(int status, int code, string message, TimeSpan latency, TimeSpan? retryAfter)
    {
        // 21211, 21610, 21614, 20003 and the other 4xx: this number or this account, and sending again cannot help.
        var transient = status is 408 or 429 || code == TooManyRequests || status >= 500;
        var error = code != 0 ? $"Twilio error {code}: {message}" : $"Twilio answered {status}: {Truncate(message, 1500)}";
        return new SendResult(transient ? DeliveryStatus.Queued : DeliveryStatus.Failed, Provider,
            HttpStatus: status == 0 ? null : status, Error: error, Transient: transient, Latency: latency,
            ErrorCode: code != 0 ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
            RetryAfter: transient ? retryAfter : null);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}

/// <summary>
/// Used when no Twilio credentials are configured: the message is rendered and audited as
/// <c>sandboxed</c>, and nothing leaves the machine.
/// </summary>
public sealed class SandboxSmsSender : ISmsSender
{
    public Task<SendResult> SendAsync(string to, string body, string? statusCallbackUrl, CancellationToken ct) =>
        Task.FromResult(new SendResult(DeliveryStatus.Sandboxed, "sandbox") { Rendered = body });

    /// <summary>Nothing left the machine, so nothing can be found: an interrupted sandboxed send is rendered again.</summary>
    public Task<SendResult?> FindAsync(string to, string body, DateTimeOffset since, CancellationToken ct) => Task.FromResult<SendResult?>(null);
}
