using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FanOutBench.Driver;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FanOutBench.Fakes;

/// <summary>
/// Fast loopback stand-ins for the providers, on one Kestrel port:
/// SendGrid <c>POST /v3/mail/send</c> (202 with a unique <c>X-Message-Id</c>), Twilio
/// <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c> (201 with a message resource the Twilio 8.x
/// SDK reads: <c>sid</c> "SM…", <c>status</c> "queued"), and webhook receivers at
/// <c>POST /hooks/{i}</c> (204). Each counts what it received. What the look-ups of an interrupted send
/// need is kept: accepted texts (Twilio's message list, <c>GET …/Messages.json?To=…</c>) and the recipients
/// of each email batch key (SendGrid's Email Activity, <c>GET /v3/messages?query=…</c>).
/// </summary>
public sealed class ProviderFakes : IAsyncDisposable
{
    public const string SendGridKey = "SG.fanout-bench";
    public const string TwilioAccountSid = "AC0123456789abcdef0123456789abcdef";
    public const string TwilioAuthToken = "0123456789abcdef0123456789abcdef";

    private static readonly string TwilioBasic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TwilioAccountSid}:{TwilioAuthToken}"));
    private readonly WebApplication _app;
    private readonly string? _dumpDir = Environment.GetEnvironmentVariable("FANOUT_DUMP_DIR");
    private long _ids;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<(string Sid, string? From, string? Body, DateTimeOffset At)>> _texts = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentQueue<(string Email, string MessageId)>> _batches = new();

    /// <summary>Look-ups answered: Twilio message lists and SendGrid activity queries.</summary>
    public int SmsLookups => _smsLookups;
    public int EmailLookups => _emailLookups;
    private int _smsLookups;
    private int _emailLookups;

    private ProviderFakes(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }
    public RecipientCounter Email { get; } = new("email");
    public RecipientCounter Sms { get; } = new("sms");
    public RecipientCounter Webhook { get; } = new("webhook");

    /// <summary>Campaign codes (<see cref="Codes.Index"/>) found in the emails' personal text, each counted like a recipient.</summary>
    public RecipientCounter Codes { get; } = new("code");

    /// <summary>Recipient index → 1 + the index of the code its email carried (0: none yet); sized by <see cref="ResetCodes"/>.</summary>
    public int[] CodeOf { get; private set; } = [];

    /// <summary>Each answer waits this long after the request was read (a slower provider); 0 by default.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Per-channel answer delay, overriding <see cref="Latency"/> for that channel.</summary>
    public TimeSpan? EmailLatency { get; set; }
    public TimeSpan? SmsLatency { get; set; }
    public TimeSpan? WebhookLatency { get; set; }

    /// <summary>
    /// When set, what each accepted recipient was told is kept in <see cref="Bodies"/>: a personal email's own text (its
    /// <c>%personal_text%</c> substitution, as campaigns send it) and an SMS body. Off by default (memory at bench sizes).
    /// </summary>
    public bool KeepBodies { get; set; }

    /// <summary>(channel, recipient index, text), one per accepted arrival, repeats included (<see cref="KeepBodies"/>).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Channel, int Index, string Body)> Bodies { get; } = new();

    public RecipientCounter For(string channel) => channel switch
    {
        "email" => Email,
        "sms" => Sms,
        "webhook" => Webhook,
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, "email, sms or webhook"),
    };

    public void Reset(Audience audience)
    {
        Email.Reset(audience.Email);
        Sms.Reset(audience.Sms);
        Webhook.Reset(audience.Webhook);
        ResetCodes(0, 0);
    }

    /// <summary>A campaign of <paramref name="codes"/> codes of the bench's scheme to <paramref name="recipients"/> email recipients is about to be sent.</summary>
    public void ResetCodes(int codes, int recipients)
    {
        Codes.Reset(codes);
        CodeOf = new int[recipients];
    }

    public static async Task<ProviderFakes> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, port);
            o.AddServerHeader = false;
            o.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        var url = "";
        ProviderFakes? fakes = null;
        app.MapPost("/v3/mail/send", (RequestDelegate)(ctx => fakes!.SendGridAsync(ctx)));
        app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", (RequestDelegate)(ctx => fakes!.TwilioAsync(ctx)));
        app.MapGet("/2010-04-01/Accounts/{sid}/Messages.json", (RequestDelegate)(ctx => fakes!.TwilioListAsync(ctx)));
        app.MapGet("/v3/messages", (RequestDelegate)(ctx => fakes!.SendGridActivityAsync(ctx)));
        app.MapPost("/hooks/{**rest}", (RequestDelegate)(ctx => fakes!.WebhookAsync(ctx)));
        app.MapGet("/health", () => "ok");
        await app.StartAsync();
        url = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        fakes = new ProviderFakes(app, url.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return fakes;
    }

    private async Task<MemoryStream> ReadBodyAsync(HttpRequest request, RecipientCounter counter)
    {
        var body = new MemoryStream(request.ContentLength is { } n and < int.MaxValue ? (int)n : 4096);
        await request.Body.CopyToAsync(body);
        body.Position = 0;
        var dump = _dumpDir is null ? null : Path.Combine(_dumpDir, $"{counter.Channel}-request.txt");
        if (dump is not null && counter.Requests == 0 && !File.Exists(dump))
        {
            // Diagnostics (FANOUT_DUMP_DIR): the first request of each channel as the provider sees it.
            var headers = string.Join('\n', request.Headers.Select(h => $"{h.Key}: {h.Value}"));
            await File.WriteAllTextAsync(dump,
                $"{request.Method} {request.Path}\n{headers}\n\n{Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length)}");
        }
        return body;
    }

    private async Task SendGridAsync(HttpContext ctx)
    {
        using var _ = Email.Enter();
        using var body = await ReadBodyAsync(ctx.Request, Email);
        Email.Request(body.Length);
        if (ctx.Request.Headers.Authorization != "Bearer " + SendGridKey)
        {
            Email.Reject();
            ctx.Response.StatusCode = 401;
            return;
        }
        try
        {
            using var json = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
            var key = json.RootElement.TryGetProperty("custom_args", out var args) && args.TryGetProperty("batch_key", out var k) ? k.GetString() : null;
            var messageId = "fanout" + Interlocked.Increment(ref _ids).ToString("x12", CultureInfo.InvariantCulture);
            var batch = key is null ? null : _batches.GetOrAdd(key, _ => new());
            foreach (var personalization in json.RootElement.GetProperty("personalizations").EnumerateArray())
            {
                foreach (var to in personalization.GetProperty("to").EnumerateArray())
                {
                    var email = to.GetProperty("email").GetString() ?? "";
                    var index = Addresses.ParseEmail(email);
                    Email.Recipient(index, email);
                    CountCode(personalization, index);
                    if (KeepBodies && personalization.TryGetProperty("substitutions", out var values)
                        && values.TryGetProperty("%personal_text%", out var personal) && personal.GetString() is { } own)
                    {
                        Bodies.Enqueue(("email", index, own));
                    }
                    batch?.Enqueue((email, messageId));
                }
            }
            ctx.Items["message-id"] = messageId;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Email.Reject();
            ctx.Response.StatusCode = 400;
            return;
        }
        await DelayAsync(EmailLatency);
        ctx.Response.StatusCode = 202;
        ctx.Response.Headers["X-Message-Id"] = (string)ctx.Items["message-id"]!;
    }

    // A campaign email's own text comes as a substitution; the bench's codes are found in it and counted.
    private void CountCode(JsonElement personalization, int recipient)
    {
        if (!personalization.TryGetProperty("substitutions", out var substitutions)
            || !substitutions.TryGetProperty("%personal_text%", out var text) || text.GetString() is not { } body)
        {
            return;
        }
        var code = FanOutBench.Driver.Codes.Find(body, out var codeText);
        if (code is null)
        {
            return;
        }
        Codes.Recipient(code.Value, codeText);
        var map = CodeOf;
        if (recipient >= 0 && recipient < map.Length && code.Value >= 0)
        {
            Interlocked.Exchange(ref map[recipient], code.Value + 1);
        }
    }

    private async Task TwilioAsync(HttpContext ctx)
    {
        using var _ = Sms.Enter();
        using var body = await ReadBodyAsync(ctx.Request, Sms);
        Sms.Request(body.Length);
        if (ctx.Request.Headers.Authorization != TwilioBasic)
        {
            Sms.Reject();
            ctx.Response.StatusCode = 401;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}""");
            return;
        }
        var form = Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        string? to = null, from = null, service = null, text = null;
        foreach (var pair in form.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            var value = eq < 0 ? "" : WebUtility.UrlDecode(pair[(eq + 1)..]);
            switch (key)
            {
                case "To": to = value; break;
                case "From": from = value; break;
                case "MessagingServiceSid": service = value; break;
                case "Body": text = value; break;
            }
        }
        if (to is null)
        {
            Sms.Reject();
            ctx.Response.StatusCode = 400;
            return;
        }
        Sms.Recipient(Addresses.ParsePhone(to), to);
        if (KeepBodies && text is not null)
        {
            Bodies.Enqueue(("sms", Addresses.ParsePhone(to), text));
        }
        await DelayAsync(SmsLatency);
        var sid = "SM" + Interlocked.Increment(ref _ids).ToString("x32", CultureInfo.InvariantCulture);
        // Accepted: in the message list from now on, even if the sender never reads this answer.
        var created = DateTimeOffset.UtcNow;
        _texts.GetOrAdd(to, _ => new()).Enqueue((sid, from ?? service, text, created));
        var now = created.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        ctx.Response.StatusCode = 201;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["account_sid"] = TwilioAccountSid,
            ["api_version"] = "2010-04-01",
            ["date_created"] = now,
            ["date_updated"] = now,
            ["direction"] = "outbound-api",
            ["from"] = from,
            ["messaging_service_sid"] = service,
            ["num_segments"] = "1",
            ["sid"] = sid,
            ["status"] = service is null ? "queued" : "accepted",
            ["to"] = to,
            ["uri"] = $"/2010-04-01/Accounts/{TwilioAccountSid}/Messages/{sid}.json",
        }));
    }

    // Twilio's message list, newest first, filtered by To, From and DateSent>= (the day).
    private async Task TwilioListAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _smsLookups);
        var query = ctx.Request.Query;
        var to = query["To"].ToString();
        var from = query["From"].ToString();
        var since = DateTimeOffset.TryParse(query["DateSent>"].ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day)
            ? day : DateTimeOffset.MinValue;
        var messages = (_texts.TryGetValue(to, out var texts) ? texts.ToArray() : [])
            .Where(m => (from.Length == 0 || m.From == from) && m.At >= since)
            .OrderByDescending(m => m.At)
            .Select(m => new Dictionary<string, object?>
            {
                ["account_sid"] = TwilioAccountSid,
                ["body"] = m.Body,
                ["date_created"] = m.At.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture),
                ["date_sent"] = m.At.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture),
                ["direction"] = "outbound-api",
                ["from"] = m.From,
                ["sid"] = m.Sid,
                ["status"] = "sent",
                ["to"] = to,
            }).ToList();
        var uri = $"/2010-04-01/Accounts/{TwilioAccountSid}/Messages.json";
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["messages"] = messages, ["first_page_uri"] = uri, ["next_page_uri"] = null, ["previous_page_uri"] = null,
            ["page"] = 0, ["page_size"] = 50, ["start"] = 0, ["end"] = messages.Count, ["uri"] = uri,
        }));
    }

    // SendGrid's Email Activity: the one query the product makes, unique_args['batch_key']="…".
    private async Task SendGridActivityAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _emailLookups);
        var query = ctx.Request.Query["query"].ToString();
        var start = query.IndexOf('"', StringComparison.Ordinal);
        var key = start >= 0 && query.LastIndexOf('"') > start ? query[(start + 1)..query.LastIndexOf('"')] : "";
        var found = _batches.TryGetValue(key, out var batch) ? batch.ToArray() : [];
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            messages = found.Select(m => new { msg_id = m.MessageId + ".filterdrecv-1", to_email = m.Email, status = "delivered" }),
        }));
    }

    private async Task WebhookAsync(HttpContext ctx)
    {
        using var _ = Webhook.Enter();
        using var body = await ReadBodyAsync(ctx.Request, Webhook);
        Webhook.Request(body.Length);
        if (!ctx.Request.Headers.ContainsKey("webhook-signature"))
        {
            Webhook.Reject();
        }
        var path = ctx.Request.Path.Value ?? "";
        Webhook.Recipient(Addresses.ParseWebhookPath(path), path);
        await DelayAsync(WebhookLatency);
        ctx.Response.StatusCode = 204;
    }

    private Task DelayAsync(TimeSpan? channel) => (channel ?? Latency) is { } delay && delay > TimeSpan.Zero ? Task.Delay(delay) : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
