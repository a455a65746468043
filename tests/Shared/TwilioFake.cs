using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One Messages.json request as the real Twilio SDK sent it, with what the fake answered.</summary>
public sealed record SentSms(
    int Ordinal, string Path, string AccountSid, IReadOnlyDictionary<string, string> Form, string? Authorization, int Status, string? Sid)
{
    public string? To => Form.GetValueOrDefault("To");
    public string? From => Form.GetValueOrDefault("From");
    public string? MessagingServiceSid => Form.GetValueOrDefault("MessagingServiceSid");
    public string? Body => Form.GetValueOrDefault("Body");
    public string? StatusCallback => Form.GetValueOrDefault("StatusCallback");

    /// <summary>When the fake received it (UTC).</summary>
    public DateTime At { get; init; }
}

/// <summary>
/// A loopback stand-in for api.twilio.com's <c>POST /2010-04-01/Accounts/{AccountSid}/Messages.json</c>:
/// the official SDK talks to it over HTTP (through the BaseUrl rewrite), so a test reads the exact
/// request the SDK produced. Answers like Twilio: 201 with a message resource (sid <c>SM</c> + 32 hex,
/// status <c>queued</c>, or <c>accepted</c> through a Messaging Service), 401/20003 for credentials
/// other than <see cref="AccountSid"/>:<see cref="AuthToken"/>, and whatever <see cref="Answer"/> says.
/// </summary>
public sealed partial class TwilioFake : IDisposable
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string AuthToken = "0123456789abcdef0123456789abcdef";

    // Twilio's own wording for the errors tests ask for most.
    private static readonly Dictionary<int, string> Messages = new()
    {
        [20003] = "Authenticate",
        [20429] = "Too Many Requests",
        [20500] = "An internal server error has occurred",
        [21211] = "Invalid 'To' Phone Number",
        [21408] = "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
        [21610] = "Attempt to send to unsubscribed recipient",
        [21614] = "'To' number is not a valid mobile number",
    };

    private readonly ConcurrentBag<SentSms> _received = [];
    private readonly ConcurrentQueue<(int N, DateTime At)> _arrivals = new();
    private int _count;

    public TwilioFake()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath(new RegexMatcher(@"^/2010-04-01/Accounts/[^/]+/Messages\.json$")).UsingPost())
            .RespondWith(Response.Create().WithCallback(AnswerAsync));
        // The message list the product reads after a crash: what was accepted, newest first, by To and From.
        Server.Given(Request.Create().WithPath(new RegexMatcher(@"^/2010-04-01/Accounts/[^/]+/Messages\.json$")).UsingGet())
            .RespondWith(Response.Create().WithCallback(ListAnswer));
    }

    /// <summary>Message list requests received (GET Messages.json).</summary>
    public int Lookups => _lookups;

    private int _lookups;

    /// <summary>The HTTP status of the n-th message list request (1-based); anything but 200 is answered as Twilio's error JSON. Default: 200.</summary>
    public Func<int, int> ListStatusFor { get; set; } = _ => 200;

    private ResponseMessage ListAnswer(IRequestMessage request)
    {
        var lookup = Interlocked.Increment(ref _lookups);
        if (ListStatusFor(lookup) is var failed and not 200)
        {
            return new ResponseMessage
            {
                StatusCode = failed,
                Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new BodyData
                {
                    BodyAsString = JsonSerializer.Serialize(new Dictionary<string, object> { ["code"] = 20500, ["message"] = "Internal Server Error", ["status"] = failed }),
                    DetectedBodyType = BodyType.String,
                },
            };
        }
        string? Query(string key) => request.Query?.TryGetValue(key, out var v) == true ? v.FirstOrDefault() : null;
        var to = Query("To");
        var from = Query("From");
        var messages = Requests.Where(r => r.Status == 201 && r.To == to && (from is null || r.From == from))
            .OrderByDescending(r => r.Ordinal)
            .Select(r => JsonSerializer.Deserialize<Dictionary<string, object?>>(MessageJson(r.Sid!, r.Form)))
            .ToList();
        var uri = $"/2010-04-01/Accounts/{AccountSid}/Messages.json";
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["messages"] = messages, ["first_page_uri"] = uri, ["next_page_uri"] = null, ["previous_page_uri"] = null,
            ["page"] = 0, ["page_size"] = 50, ["start"] = 0, ["end"] = messages.Count, ["uri"] = uri,
        });
        return new ResponseMessage
        {
            StatusCode = 200,
            Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json") },
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
        };
    }

    public WireMockServer Server { get; }
    public string Url => Server.Url!;

    /// <summary>
    /// The answer to the n-th request (1-based): an HTTP status and, for an error, Twilio's error code
    /// (answered as Twilio's error JSON). An error without a code is answered as a plain-text page, as a
    /// proxy in front of Twilio would. Default: always 201.
    /// </summary>
    public Func<int, (int Status, int? Code)> Answer { get; set; } = _ => (201, null);

    /// <summary>The Retry-After header (seconds or an HTTP date) for the n-th request, or null for none. Default: none.</summary>
    public Func<int, string?> RetryAfterFor { get; set; } = _ => null;

    /// <summary>How long to wait before answering the n-th request (1-based). Default: no wait.</summary>
    public Func<int, TimeSpan> DelayFor { get; set; } = _ => TimeSpan.Zero;

    /// <summary>Every request received, in arrival order.</summary>
    public IReadOnlyList<SentSms> Requests => _received.OrderBy(r => r.Ordinal).ToList();

    /// <summary>
    /// When each request arrived (UTC), in order, answered or not: a request the client abandoned
    /// while the fake hung (<see cref="DelayFor"/>) is here at once, and in <see cref="Requests"/> only once answered.
    /// </summary>
    public IReadOnlyList<DateTime> Arrivals => _arrivals.OrderBy(a => a.N).Select(a => a.At).ToList();

    public IReadOnlyList<SentSms> Accepted => Requests.Where(r => r.Status == 201).ToList();

    public static string Basic(string accountSid = AccountSid, string authToken = AuthToken) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));

    public void Dispose() => Server.Stop();

    /// <summary>The most send requests this fake held at once (arrived and not yet answered).</summary>
    public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

    private int _atOnce;
    private int _mostAtOnce;

    private async Task<IResponseMessage> AnswerAsync(IRequestMessage request)
    {
        var now = Interlocked.Increment(ref _atOnce);
        for (var most = Volatile.Read(ref _mostAtOnce); now > most && Interlocked.CompareExchange(ref _mostAtOnce, now, most) != most; most = Volatile.Read(ref _mostAtOnce))
        {
        }
        try
        {
            return await AnswerOnceAsync(request);
        }
        finally
        {
            Interlocked.Decrement(ref _atOnce);
        }
    }

    private async Task<IResponseMessage> AnswerOnceAsync(IRequestMessage request)
    {
        var n = Interlocked.Increment(ref _count);
        _arrivals.Enqueue((n, DateTime.UtcNow));
        var delay = DelayFor(n);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay);
        }
        var form = ParseForm(request.Body ?? "");
        var authorization = request.Headers?.TryGetValue("Authorization", out var auth) == true ? auth.FirstOrDefault() : null;
        var accountSid = AccountSidInPath().Match(request.Path).Groups[1].Value;

        var (status, code) = authorization == Basic() && accountSid == AccountSid ? Answer(n) : (401, 20003);
        string? sid = null;
        string body;
        if (status is >= 200 and < 300)
        {
            sid = $"SM{n:x32}";
            body = MessageJson(sid, form);
        }
        else if (code is { } errorCode)
        {
            body = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["code"] = errorCode,
                ["message"] = Messages.GetValueOrDefault(errorCode, "Fake Twilio error"),
                ["more_info"] = $"https://www.twilio.com/docs/errors/{errorCode}",
                ["status"] = status,
            });
        }
        else
        {
            body = $"<html><body>{(HttpStatusCode)status}</body></html>";
        }
        _received.Add(new SentSms(n, request.Path, accountSid, form, authorization, status, sid) { At = request.DateTime.ToUniversalTime() });

        var headers = new Dictionary<string, WireMockList<string>>
        {
            ["Content-Type"] = new(code is null && status >= 300 ? "text/html" : "application/json"),
        };
        if (RetryAfterFor(n) is { } retryAfter)
        {
            headers["Retry-After"] = new(retryAfter);
        }
        return new ResponseMessage
        {
            StatusCode = status,
            Headers = headers,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String },
        };
    }

    private static string MessageJson(string sid, IReadOnlyDictionary<string, string> form)
    {
        var now = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        var service = form.GetValueOrDefault("MessagingServiceSid");
        var text = form.GetValueOrDefault("Body") ?? "";
        var uri = $"/2010-04-01/Accounts/{AccountSid}/Messages/{sid}";
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["account_sid"] = AccountSid,
            ["api_version"] = "2010-04-01",
            ["body"] = text,
            ["date_created"] = now,
            ["date_sent"] = null,
            ["date_updated"] = now,
            ["direction"] = "outbound-api",
            ["error_code"] = null,
            ["error_message"] = null,
            // Through a Messaging Service Twilio picks the sender later, and says "accepted".
            ["from"] = form.GetValueOrDefault("From"),
            ["messaging_service_sid"] = service,
            ["num_media"] = "0",
            ["num_segments"] = Segments(text).ToString(CultureInfo.InvariantCulture),
            ["price"] = null,
            ["price_unit"] = "USD",
            ["sid"] = sid,
            ["status"] = service is null ? "queued" : "accepted",
            ["subresource_uris"] = new Dictionary<string, string> { ["media"] = $"{uri}/Media.json" },
            ["to"] = form.GetValueOrDefault("To"),
            ["uri"] = $"{uri}.json",
        });
    }

    /// <summary>SMS segments: GSM-7 (extension characters count twice) 160/153 a part, else UCS-2 70/67.</summary>
    internal static int Segments(string text)
    {
        const string basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        const string extension = "^{}\\[~]|€\f";
        var gsm = text.All(c => basic.Contains(c) || extension.Contains(c));
        var length = gsm ? text.Sum(c => extension.Contains(c) ? 2 : 1) : text.Length;
        var (single, part) = gsm ? (160, 153) : (70, 67);
        return length <= single ? 1 : (length + part - 1) / part;
    }

    private static Dictionary<string, string> ParseForm(string body) => body
        .Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(pair => pair.Split('=', 2))
        .ToDictionary(p => WebUtility.UrlDecode(p[0]), p => p.Length > 1 ? WebUtility.UrlDecode(p[1]) : "");

    [GeneratedRegex("^/2010-04-01/Accounts/([^/]+)/Messages\\.json$")]
    private static partial Regex AccountSidInPath();
}
