using System.Net;
using System.Net.Sockets;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using CommsHub.Core.Deliveries;

namespace CommsHub.Tests.Sms;

/// <summary>The real Twilio SDK, redirected by BaseUrl onto a loopback fake: the exact request it sends, and how answers map.</summary>
public sealed class TwilioSmsSenderTests : IDisposable
{
    private const string Sender = "+12025550100";
    private const string MessagingService = "MG0123456789abcdef0123456789abcdef";
    private const string Callback = "https://status.test/webhooks/twilio/status?delivery=42";

    private readonly TwilioFake _twilio = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        _providers.ForEach(p => p.Dispose());
        _twilio.Dispose();
    }

    [Fact]
    public async Task A_message_from_a_number_posts_To_From_Body_and_StatusCallback_with_basic_auth()
    {
        var result = await TwilioSender().SendAsync("+447700900123", "Playback outage: we are investigating. Reply STOP to unsubscribe.", Callback, default);

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal($"/2010-04-01/Accounts/{TwilioFake.AccountSid}/Messages.json", request.Path);
        Assert.Equal("Basic " + Convert.ToBase64String("AC0123456789abcdef0123456789abcdef:0123456789abcdef0123456789abcdef"u8.ToArray()), request.Authorization);
        Assert.Equal(new Dictionary<string, string>
        {
            ["To"] = "+447700900123",
            ["From"] = Sender,
            ["Body"] = "Playback outage: we are investigating. Reply STOP to unsubscribe.",
            ["StatusCallback"] = Callback,
        }, request.Form);

        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.Equal("twilio", result.Provider);
        Assert.Equal(request.Sid, result.ProviderMessageId);
        Assert.Matches("^SM[0-9a-f]{32}$", result.ProviderMessageId);
        Assert.Equal(201, result.HttpStatus);
        Assert.False(result.Transient);
        Assert.Null(result.Error);
        Assert.Null(result.ErrorCode);
        Assert.True(result.Latency > TimeSpan.Zero);
        Assert.True(result.Accepted);
    }

    [Fact]
    public async Task A_messaging_service_sender_goes_as_MessagingServiceSid_and_no_callback_means_no_StatusCallback()
    {
        var result = await TwilioSender(from: MessagingService).SendAsync("+12025550173", "Resolved.", null, default);

        var request = Assert.Single(_twilio.Requests);
        Assert.Equal(MessagingService, request.MessagingServiceSid);
        Assert.Null(request.From);
        Assert.Null(request.StatusCallback);
        Assert.Equal(["Body", "MessagingServiceSid", "To"], request.Form.Keys.Order());
        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.Equal(request.Sid, result.ProviderMessageId);
    }

    [Theory]
    [InlineData(400, 21610, DeliveryStatus.Failed, false, "Twilio error 21610: Attempt to send to unsubscribed recipient")]
    [InlineData(400, 21211, DeliveryStatus.Failed, false, "Twilio error 21211: Invalid 'To' Phone Number")]
    [InlineData(400, 21408, DeliveryStatus.Failed, false, "Twilio error 21408: Permission to send an SMS has not been enabled for the region indicated by the 'To' number")]
    [InlineData(429, 20429, DeliveryStatus.Queued, true, "Twilio error 20429: Too Many Requests")]
    [InlineData(400, 20429, DeliveryStatus.Queued, true, "Twilio error 20429: Too Many Requests")]
    [InlineData(500, 20500, DeliveryStatus.Queued, true, "Twilio error 20500: An internal server error has occurred")]
    [InlineData(503, 20500, DeliveryStatus.Queued, true, "Twilio error 20500: An internal server error has occurred")]
    public async Task Twilio_errors_map_to_failed_or_to_queued_for_a_retry(int status, int code, DeliveryStatus expected, bool transient, string error)
    {
        _twilio.Answer = _ => (status, code);

        var result = await TwilioSender().SendAsync("+12025550173", "Investigating.", Callback, default);

        Assert.Single(_twilio.Requests);
        Assert.Equal(expected, result.Status);
        Assert.Equal(transient, result.Transient);
        Assert.Equal("twilio", result.Provider);
        Assert.Equal(status, result.HttpStatus);
        Assert.Equal(code.ToString(System.Globalization.CultureInfo.InvariantCulture), result.ErrorCode);
        Assert.Equal(error, result.Error);
        Assert.Null(result.ProviderMessageId);
        Assert.False(result.Accepted);
        Assert.True(result.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_gateway_error_page_without_Twilio_json_is_retried_with_its_status()
    {
        _twilio.Answer = _ => (502, null);

        var result = await TwilioSender().SendAsync("+12025550173", "Investigating.", null, default);

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Equal(502, result.HttpStatus);
        Assert.Null(result.ErrorCode);
        Assert.StartsWith("Twilio answered 502: ", result.Error);
    }

    [Fact]
    public async Task Wrong_credentials_fail_permanently_with_Twilio_code_20003()
    {
        var result = await TwilioSender(authToken: "ffffffffffffffffffffffffffffffff").SendAsync("+12025550173", "Investigating.", null, default);

        Assert.Equal(TwilioFake.Basic(TwilioFake.AccountSid, "ffffffffffffffffffffffffffffffff"), Assert.Single(_twilio.Requests).Authorization);
        Assert.Equal(DeliveryStatus.Failed, result.Status);
        Assert.False(result.Transient);
        Assert.Equal(401, result.HttpStatus);
        Assert.Equal("20003", result.ErrorCode);
        Assert.Equal("Twilio error 20003: Authenticate", result.Error);
    }

    [Fact]
    public async Task Answers_are_chosen_per_request_so_a_throttled_send_can_succeed_on_retry()
    {
        _twilio.Answer = n => n == 1 ? (429, 20429) : (201, null);
        var sender = TwilioSender();

        var first = await sender.SendAsync("+12025550173", "Investigating.", null, default);
        var second = await sender.SendAsync("+12025550173", "Investigating.", null, default);

        Assert.Equal([429, 201], _twilio.Requests.Select(r => r.Status));
        Assert.Equal(DeliveryStatus.Queued, first.Status);
        Assert.Equal(DeliveryStatus.Sent, second.Status);
        Assert.Equal(_twilio.Requests[1].Sid, second.ProviderMessageId);
    }

    [Fact]
    public async Task No_answer_within_the_timeout_is_queued_for_a_retry()
    {
        _twilio.DelayFor = _ => TimeSpan.FromSeconds(5);
        var sender = TwilioSender(extra: new() { ["Channels:Sms:Twilio:Timeout"] = "00:00:00.300" });

        var result = await sender.SendAsync("+12025550173", "Investigating.", null, default);

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.Null(result.HttpStatus);
        Assert.Equal("Twilio unreachable: no answer within 0.3 s", result.Error);
        Assert.InRange(result.Latency, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task A_refused_connection_is_queued_for_a_retry()
    {
        var result = await TwilioSender(baseUrl: $"http://127.0.0.1:{ClosedPort()}").SendAsync("+12025550173", "Investigating.", null, default);

        Assert.Equal(DeliveryStatus.Queued, result.Status);
        Assert.True(result.Transient);
        Assert.StartsWith("Twilio unreachable: ", result.Error);
        Assert.Empty(_twilio.Requests);
    }

    [Fact]
    public async Task A_cancelled_send_never_reaches_Twilio()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TwilioSender().SendAsync("+12025550173", "Investigating.", null, cancelled.Token));
        Assert.Empty(_twilio.Requests);
    }

    [Theory]
    [InlineData("/webhooks/twilio/status")]
    [InlineData("status.test/webhooks/twilio/status")]
    public async Task A_status_callback_that_Twilio_could_not_call_is_a_programming_error(string callback)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TwilioSender().SendAsync("+12025550173", "Investigating.", callback, default));
        Assert.Empty(_twilio.Requests);
    }

    [Fact]
    public async Task A_BaseUrl_with_a_path_keeps_it_in_front_of_Twilio_paths()
    {
        // A proxy mounted under a path: the fake serves only the root, so the log is what tells.
        await TwilioSender(baseUrl: _twilio.Url + "/proxy/").SendAsync("+12025550173", "Investigating.", null, default);

        var logged = Assert.Single(_twilio.Server.LogEntries);
        Assert.Equal($"/proxy/2010-04-01/Accounts/{TwilioFake.AccountSid}/Messages.json", logged.RequestMessage.Path);
    }

    [Fact]
    public async Task Without_credentials_messages_are_sandboxed_and_nothing_is_sent()
    {
        using var provider = SmsServices.Build(new() { ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url });
        var sender = provider.GetRequiredService<ISmsSender>();

        var result = await sender.SendAsync("+12025550173", "Investigating.", Callback, default);

        Assert.IsType<SandboxSmsSender>(sender);
        Assert.Equal(new SendResult(DeliveryStatus.Sandboxed, "sandbox") { Rendered = "Investigating." }, result);
        Assert.True(result.Accepted);
        Assert.Empty(_twilio.Server.LogEntries);
    }

    private ISmsSender TwilioSender(string from = Sender, string authToken = TwilioFake.AuthToken, string? baseUrl = null, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Channels:Sms:From"] = from,
            ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
            ["Channels:Sms:Twilio:AuthToken"] = authToken,
            ["Channels:Sms:Twilio:BaseUrl"] = baseUrl ?? _twilio.Url,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var provider = SmsServices.Build(settings);
        _providers.Add(provider);
        var sender = provider.GetRequiredService<ISmsSender>();
        Assert.IsType<TwilioSmsSender>(sender);
        return sender;
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
