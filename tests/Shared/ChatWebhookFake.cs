using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CommsHub.Testing;

/// <summary>One answer from the fake: status, optional body and headers, and an optional wait before it.</summary>
public sealed record ChatAnswer(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan? Delay = null);

/// <summary>One request as the webhook sent it, with its 1-based ordinal on its path.</summary>
public sealed record ChatPost(string Medium, int Ordinal, string Body, string? ContentType)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>
/// A loopback stand-in for the Slack, Discord and Teams webhook endpoints on one WireMock server. Paths
/// are shaped like the real ones, secret part included, so tests can check that secret never leaks.
/// By default each answers as its provider does on success (Slack 200 "ok", Discord 204, Teams 202);
/// <see cref="Answer"/> scripts the answers to the first requests on a path, in order.
/// </summary>
public sealed class ChatWebhookFake : IDisposable
{
    public const string SlackSecret = "XyZslackSECRETtoken1234a1b2";
    public const string DiscordSecret = "DiscordSECRETtoken-abcdefghijklmnopqrstuvwxyz0123c3d4";
    public const string TeamsSecret = "TeamsSECRETsignatureQWERTYe5f6";

    public const string SlackPath = "/services/T0000SLACK/B0000SLACK/" + SlackSecret;
    public const string DiscordPath = "/api/webhooks/123456789012345678/" + DiscordSecret;
    public const string TeamsPath = "/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke";
    public const string TeamsQuery = "?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + TeamsSecret;

    private static readonly Dictionary<string, string> Paths = new()
    {
        ["slack"] = SlackPath,
        ["discord"] = DiscordPath,
        ["teams"] = TeamsPath,
    };

    private static readonly Dictionary<string, ChatAnswer> Defaults = new()
    {
        ["slack"] = new ChatAnswer(200, "ok"),
        ["discord"] = new ChatAnswer(204),
        ["teams"] = new ChatAnswer(202),
    };

    private readonly ConcurrentDictionary<string, ChatAnswer[]> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentQueue<ChatPost> _posts = new();

    public ChatWebhookFake()
    {
        Server = WireMockServer.Start();
        foreach (var (medium, path) in Paths)
        {
            Server.Given(Request.Create().WithPath(path).UsingPost())
                .RespondWith(Response.Create().WithCallback(request => RespondAsync(medium, request)));
        }
    }

    public WireMockServer Server { get; }

    public string SlackUrl => Server.Url + SlackPath;
    public string DiscordUrl => Server.Url + DiscordPath;
    public string TeamsUrl => Server.Url + TeamsPath + TeamsQuery;

    /// <summary>The three URLs as Channels:Chat configuration.</summary>
    public Dictionary<string, string?> Configuration => new()
    {
        ["Channels:Chat:Slack:WebhookUrl"] = SlackUrl,
        ["Channels:Chat:Discord:WebhookUrl"] = DiscordUrl,
        ["Channels:Chat:Teams:WebhookUrl"] = TeamsUrl,
    };

    /// <summary>The n-th request on <paramref name="medium"/>'s path gets the n-th answer; later ones the default.</summary>
    public void Answer(string medium, params ChatAnswer[] answers) => _scripts[medium] = answers;

    /// <summary>Every request on <paramref name="medium"/>'s path, in arrival order.</summary>
    public IReadOnlyList<ChatPost> Posts(string medium) => _posts.Where(p => p.Medium == medium).OrderBy(p => p.Ordinal).ToList();

    public void Dispose() => Server.Stop();

    private async Task<IResponseMessage> RespondAsync(string medium, IRequestMessage request)
    {
        var ordinal = _counts.AddOrUpdate(medium, 1, (_, n) => n + 1);
        _posts.Enqueue(new ChatPost(medium, ordinal, request.Body ?? "",
            request.Headers?.TryGetValue("Content-Type", out var type) == true ? type.FirstOrDefault() : null));

        var script = _scripts.GetValueOrDefault(medium, []);
        var answer = ordinal <= script.Length ? script[ordinal - 1] : Defaults[medium];
        if (answer.Delay is { } delay)
        {
            await Task.Delay(delay);
        }
        var response = new ResponseMessage
        {
            StatusCode = answer.Status,
            Headers = (answer.Headers ?? new Dictionary<string, string>()).ToDictionary(h => h.Key, h => new WireMockList<string>(h.Value)),
        };
        if (answer.Body is not null)
        {
            response.BodyData = new BodyData { BodyAsString = answer.Body, DetectedBodyType = BodyType.String };
        }
        return response;
    }
}
