using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One mail/send request as the real SendGrid SDK sent it, with the message id the fake answered.</summary>
public sealed record SentMail(JsonNode Body, string? Authorization, string? MessageId, int Status)
{
    /// <summary>When the fake received it (UTC).</summary>
    public DateTime At { get; init; }

    public string Subject => Body["subject"]!.GetValue<string>();
    public string FromEmail => Body["from"]!["email"]!.GetValue<string>();
    public string? FromName => Body["from"]!["name"]?.GetValue<string>();

    public IReadOnlyList<string> Recipients => Body["personalizations"]!.AsArray()
        .SelectMany(p => p!["to"]!.AsArray().Select(t => t!["email"]!.GetValue<string>())).ToList();

    public IReadOnlyList<string> DeliveryIds => Body["personalizations"]!.AsArray()
        .Select(p => p!["custom_args"]!["delivery_id"]!.GetValue<string>()).ToList();

    public string? Content(string type) => Body["content"]?.AsArray()
        .FirstOrDefault(c => c!["type"]!.GetValue<string>() == type)?["value"]?.GetValue<string>();
}

/// <summary>
/// A loopback stand-in for api.sendgrid.com: the official SDK talks to it over HTTP, so the test
/// reads the exact request the SDK produced. Answers 202 with a fresh X-Message-Id by default.
/// </summary>
public sealed class SendGridFake : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<(int N, DateTime At)> _arrivals = new();
    private int _count;

    public SendGridFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath("/v3/mail/send").UsingPost())
            .RespondWith(Response.Create().WithCallback(async _ =>
            {
                var n = Interlocked.Increment(ref _count);
                _arrivals.Enqueue((n, DateTime.UtcNow));
                var delay = DelayFor(n);
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay);
                }
                var status = StatusFor(n);
                var response = new ResponseMessage
                {
                    StatusCode = status,
                    Headers = new Dictionary<string, WireMockList<string>> { ["X-Message-Id"] = new($"sg-msg-{n:D4}") },
                };
                if (RetryAfterFor(n) is { } retryAfter)
                {
                    response.Headers["Retry-After"] = new(retryAfter);
                }
                if (status >= 400)
                {
                    response.BodyData = new BodyData { BodyAsString = """{"errors":[{"message":"fake failure"}]}""", DetectedBodyType = BodyType.String };
                }
                return (IResponseMessage)response;
            }));
        Server.Given(Request.Create().WithPath("/v3/messages").UsingGet()).RespondWith(Response.Create().WithCallback(Activity));
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    /// <summary>How many Email Activity look-ups (<c>GET /v3/messages</c>) were asked.</summary>
    public int Lookups => _lookups;

    private int _lookups;

    /// <summary>
    /// SendGrid's Email Activity API, as much as the hub asks of it: <c>query=unique_args['batch_key']="…"</c>
    /// lists each recipient of the accepted requests that carried that custom arg, with the request's message id
    /// and a per-recipient suffix, as SendGrid does.
    /// </summary>
    private IResponseMessage Activity(IRequestMessage request)
    {
        Interlocked.Increment(ref _lookups);
        var query = request.Query?.TryGetValue("query", out var q) == true ? q.FirstOrDefault() ?? "" : "";
        var start = query.IndexOf('"', StringComparison.Ordinal);
        var key = start >= 0 && query.LastIndexOf('"') > start ? query[(start + 1)..query.LastIndexOf('"')] : null;
        var messages = new JsonArray();
        foreach (var sent in Accepted.Where(r => key is not null && r.Body["custom_args"]?["batch_key"]?.GetValue<string>() == key))
        {
            foreach (var to in sent.Recipients)
            {
                messages.Add(new JsonObject { ["msg_id"] = $"{sent.MessageId}.filter0001.{messages.Count}", ["to_email"] = to, ["status"] = "processed" });
            }
        }
        return new ResponseMessage
        {
            StatusCode = 200,
            BodyData = new BodyData { BodyAsString = new JsonObject { ["messages"] = messages }.ToJsonString(), DetectedBodyType = BodyType.String },
        };
    }

    /// <summary>The HTTP status for the n-th request (1-based). Default: always 202.</summary>
    public Func<int, int> StatusFor { get; set; } = _ => 202;

    /// <summary>The Retry-After header (seconds or an HTTP date) for the n-th request, or null for none. Default: none.</summary>
    public Func<int, string?> RetryAfterFor { get; set; } = _ => null;

    /// <summary>How long to wait before answering the n-th request (1-based): a hung SendGrid. Default: no wait.</summary>
    public Func<int, TimeSpan> DelayFor { get; set; } = _ => TimeSpan.Zero;

    public IReadOnlyList<SentMail> Requests => Server.LogEntries
        .Where(e => e.RequestMessage.Path == "/v3/mail/send")
        .OrderBy(e => e.RequestMessage.DateTime)
        .Select(e => new SentMail(
            JsonNode.Parse(e.RequestMessage.Body!)!,
            e.RequestMessage.Headers?.TryGetValue("Authorization", out var auth) == true ? auth.FirstOrDefault() : null,
            e.ResponseMessage.Headers?.TryGetValue("X-Message-Id", out var id) == true ? id.FirstOrDefault() : null,
            Convert.ToInt32(e.ResponseMessage.StatusCode, System.Globalization.CultureInfo.InvariantCulture))
        { At = e.RequestMessage.DateTime.ToUniversalTime() })
        .ToList();

    /// <summary>
    /// When each request arrived (UTC), in order, answered or not: a request the client abandoned
    /// while the fake hung (<see cref="DelayFor"/>) is here even if the server never logged it.
    /// </summary>
    public IReadOnlyList<DateTime> Arrivals => _arrivals.OrderBy(a => a.N).Select(a => a.At).ToList();

    public IReadOnlyList<SentMail> Accepted => Requests.Where(r => r.Status == 202).ToList();

    public void Dispose() => Server.Stop();
}
