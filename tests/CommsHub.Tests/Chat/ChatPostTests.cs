using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Chat;

/// <summary>How each provider's answers map to a <see cref="Core.Deliveries.SendResult"/>, against the loopback fake.</summary>
public sealed class ChatPostTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 15, 0, TimeSpan.Zero);

    private readonly ChatWebhookFake _fake = new();
    private readonly CapturedLogs _logs = new();
    private readonly ServiceProvider _services;

    public ChatPostTests() => _services = ChatServices.Build(_fake.Configuration, new FixedTime(Now), logs: _logs);

    public void Dispose()
    {
        _services.Dispose();
        _fake.Dispose();
    }

    public static TheoryData<string> Media => ["slack", "discord", "teams"];

    [Theory]
    [InlineData("slack", 200)]
    [InlineData("discord", 204)]
    [InlineData("teams", 202)]
    [InlineData("teams", 200)]
    public async Task Each_providers_success_answer_is_sent_without_a_message_id(string medium, int status)
    {
        _fake.Answer(medium, new ChatAnswer(status));

        var result = await Post(medium);

        Assert.Equal((DeliveryStatus.Sent, medium, status), (result.Status, result.Provider, result.HttpStatus!.Value));
        Assert.Null(result.ProviderMessageId);
        Assert.True(result.Accepted);
        Assert.True(result.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_Discord_URL_configured_with_wait_answers_200_with_the_message_and_its_id_is_kept()
    {
        _fake.Answer("discord", new ChatAnswer(200, """{"id":"1187654321098765432","channel_id":"1","content":""}"""));

        var result = await Post("discord");

        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.Equal("1187654321098765432", result.ProviderMessageId);
    }

    [Theory]
    [MemberData(nameof(Media))]
    public async Task A_429_with_Retry_After_in_seconds_is_transient_and_carries_the_wait_then_the_retry_is_sent(string medium)
    {
        _fake.Answer(medium, new ChatAnswer(429, "rate limited", new Dictionary<string, string> { ["Retry-After"] = "30" }));

        var limited = await Post(medium);
        var retried = await Post(medium);

        Assert.Equal((DeliveryStatus.Queued, true, 429), (limited.Status, limited.Transient, limited.HttpStatus!.Value));
        Assert.Equal(TimeSpan.FromSeconds(30), limited.RetryAfter);
        Assert.False(limited.Accepted);
        Assert.Equal(DeliveryStatus.Sent, retried.Status);
        Assert.Equal([1, 2], _fake.Posts(medium).Select(p => p.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Media))]
    public async Task A_429_with_Retry_After_as_an_HTTP_date_waits_until_that_time(string medium)
    {
        var until = Now.AddSeconds(90).ToString("r", CultureInfo.InvariantCulture);
        _fake.Answer(medium, new ChatAnswer(429, Headers: new Dictionary<string, string> { ["Retry-After"] = until }));

        var result = await Post(medium);

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(TimeSpan.FromSeconds(90), result.RetryAfter);
    }

    [Fact]
    public async Task A_Retry_After_date_already_past_means_retry_now()
    {
        _fake.Answer("slack", new ChatAnswer(429, Headers: new Dictionary<string, string> { ["Retry-After"] = Now.AddMinutes(-5).ToString("r", CultureInfo.InvariantCulture) }));

        Assert.Equal(TimeSpan.Zero, (await Post("slack")).RetryAfter);
    }

    [Fact]
    public async Task Discords_429_body_retry_after_in_fractional_seconds_is_the_wait()
    {
        _fake.Answer("discord", new ChatAnswer(429, """{"message":"You are being rate limited.","retry_after":1.5,"global":false}"""));

        var result = await Post("discord");

        Assert.Equal((DeliveryStatus.Queued, true), (result.Status, result.Transient));
        Assert.Equal(TimeSpan.FromSeconds(1.5), result.RetryAfter);
    }

    [Theory]
    [InlineData("2", 0.4, 2.0)]
    [InlineData("1", 64.57, 64.57)]
    public async Task With_both_Discord_forms_the_later_wait_wins(string header, double body, double expected)
    {
        _fake.Answer("discord", new ChatAnswer(429,
            $$"""{"message":"You are being rate limited.","retry_after":{{body.ToString(CultureInfo.InvariantCulture)}},"global":false}""",
            new Dictionary<string, string> { ["Retry-After"] = header }));

        Assert.Equal(TimeSpan.FromSeconds(expected), (await Post("discord")).RetryAfter);
    }

    [Theory]
    [InlineData("slack", 500, "rollup_error")]
    [InlineData("slack", 503, "")]
    [InlineData("discord", 502, "<html>Bad Gateway</html>")]
    [InlineData("teams", 504, "")]
    [InlineData("teams", 408, "")]
    public async Task Server_errors_and_request_time_outs_are_transient_without_a_wait_unless_one_is_given(string medium, int status, string body)
    {
        _fake.Answer(medium, new ChatAnswer(status, body));

        var result = await Post(medium);

        Assert.Equal((DeliveryStatus.Queued, true, status), (result.Status, result.Transient, result.HttpStatus!.Value));
        Assert.Null(result.RetryAfter);
        Assert.StartsWith($"{Display(medium)} answered {status}", result.Error);
    }

    [Fact]
    public async Task A_503_with_Retry_After_keeps_the_wait()
    {
        _fake.Answer("teams", new ChatAnswer(503, Headers: new Dictionary<string, string> { ["Retry-After"] = "120" }));

        var result = await Post("teams");

        Assert.Equal((DeliveryStatus.Queued, TimeSpan.FromSeconds(120)), (result.Status, result.RetryAfter!.Value));
    }

    [Theory]
    [InlineData("slack", 400, "invalid_payload", "invalid_payload")]
    [InlineData("slack", 403, "action_prohibited", "action_prohibited")]
    [InlineData("slack", 404, "no_service", "no_service")]
    [InlineData("slack", 404, "channel_not_found", "channel_not_found")]
    [InlineData("slack", 410, "channel_is_archived", "channel_is_archived")]
    [InlineData("discord", 404, """{"message": "Unknown Webhook", "code": 10015}""", "10015")]
    [InlineData("discord", 400, """{"message": "Invalid Form Body", "code": 50035, "errors": {}}""", "50035")]
    [InlineData("discord", 401, """{"message": "Invalid Webhook Token", "code": 50027}""", "50027")]
    [InlineData("teams", 400, """{"error":{"code":"InvalidRequestContent","message":"The request content is not valid."}}""", "InvalidRequestContent")]
    [InlineData("teams", 404, """{"error":{"code":"WorkflowNotFound","message":"The workflow was not found."}}""", "WorkflowNotFound")]
    [InlineData("teams", 403, "Forbidden", null)]
    public async Task Other_client_errors_are_permanent_failures_with_the_providers_text_and_code(string medium, int status, string body, string? code)
    {
        _fake.Answer(medium, new ChatAnswer(status, body));

        var result = await Post(medium);

        Assert.Equal((DeliveryStatus.Failed, false, status), (result.Status, result.Transient, result.HttpStatus!.Value));
        Assert.Equal($"{Display(medium)} answered {status}: {body}", result.Error);
        Assert.Equal(code, result.ErrorCode);
        Assert.Null(result.RetryAfter);
        Assert.Equal(medium, result.Provider);
    }

    [Fact]
    public async Task A_long_error_body_is_shortened_in_the_error()
    {
        _fake.Answer("discord", new ChatAnswer(400, new string('x', 5000)));

        var result = await Post("discord");

        Assert.Equal("Discord answered 400: ".Length + 500 + 1, result.Error!.Length);
        Assert.EndsWith("x…", result.Error);
    }

    [Fact]
    public async Task A_redirect_is_a_permanent_failure_and_is_never_followed()
    {
        _fake.Answer("slack", new ChatAnswer(302, Headers: new Dictionary<string, string> { ["Location"] = _fake.TeamsUrl }));

        var result = await Post("slack");

        Assert.Equal((DeliveryStatus.Failed, false, 302), (result.Status, result.Transient, result.HttpStatus!.Value));
        Assert.Equal("Slack answered 302 (a redirect, not followed): check Channels:Chat:Slack:WebhookUrl.", result.Error);
        Assert.Empty(_fake.Posts("teams"));
    }

    [Fact]
    public async Task No_answer_within_the_time_out_is_transient()
    {
        using var services = ChatServices.Build(_fake.Configuration, timeout: TimeSpan.FromMilliseconds(300));
        _fake.Answer("teams", new ChatAnswer(202, Delay: TimeSpan.FromSeconds(5)));
        var webhook = services.Webhook("teams");

        var result = await webhook.PostAsync(webhook.RenderBody(Updates.Sample()), default);

        Assert.Equal((DeliveryStatus.Queued, true), (result.Status, result.Transient));
        Assert.Null(result.HttpStatus);
        Assert.Equal("Teams did not answer within 0.3 s.", result.Error);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_transient_and_the_error_keeps_the_secret_out()
    {
        var port = ClosedPort();
        var secretPath = "/api/webhooks/1/" + ChatWebhookFake.DiscordSecret;
        using var services = ChatServices.Build(new() { ["Channels:Chat:Discord:WebhookUrl"] = $"http://127.0.0.1:{port}{secretPath}" });
        var webhook = services.Webhook("discord");

        var result = await webhook.PostAsync(webhook.RenderBody(Updates.Sample()), default);

        Assert.Equal((DeliveryStatus.Queued, true), (result.Status, result.Transient));
        Assert.StartsWith("Discord could not be reached: ", result.Error);
        Assert.DoesNotContain(ChatWebhookFake.DiscordSecret[..^4], result.Error);
    }

    [Fact]
    public async Task A_cancelled_post_is_cancelled_not_reported_as_a_failure()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var webhook = _services.Webhook("slack");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => webhook.PostAsync(webhook.RenderBody(Updates.Sample()), cancelled.Token));
    }

    [Fact]
    public async Task Posting_to_an_unconfigured_webhook_is_a_programming_error()
    {
        using var services = ChatServices.Build([]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => services.Webhook("teams").PostAsync("{}", default));

        Assert.Equal("Teams has no webhook URL: set Channels:Chat:Teams:WebhookUrl before posting to it.", error.Message);
    }

    [Fact]
    public async Task No_log_line_and_no_result_ever_contains_a_webhook_secret()
    {
        _fake.Answer("slack", new ChatAnswer(404, "no_service"));
        _fake.Answer("discord", new ChatAnswer(429, """{"retry_after":1}"""));
        var results = new List<Core.Deliveries.SendResult>();
        foreach (var medium in new[] { "slack", "discord", "teams" })
        {
            results.Add(await Post(medium));
        }

        var everything = string.Join("\n", _logs.Lines.Concat(results.Select(r => r.ToString())));
        foreach (var secret in new[] { ChatWebhookFake.SlackSecret, ChatWebhookFake.DiscordSecret, ChatWebhookFake.TeamsSecret })
        {
            Assert.DoesNotContain(secret[..^4], everything);
        }
        Assert.DoesNotContain("/services/", everything);
        Assert.DoesNotContain("/api/webhooks/", everything);
    }

    private async Task<Core.Deliveries.SendResult> Post(string medium)
    {
        var webhook = _services.Webhook(medium);
        return await webhook.PostAsync(webhook.RenderBody(Updates.Sample()), default);
    }

    private static string Display(string medium) => medium switch { "slack" => "Slack", "discord" => "Discord", _ => "Teams" };

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
