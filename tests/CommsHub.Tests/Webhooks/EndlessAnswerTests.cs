using CommsHub.Core.Channels.Chat;
using CommsHub.Core.Channels.Webhook;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Chat;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Webhooks;

/// <summary>
/// A receiver that answers without end must cost a sender nothing: the status is the answer, and
/// nothing past a small prefix of the body is read (it once read 1.5 GB into memory).
/// </summary>
public sealed class EndlessAnswerTests
{
    /// <summary>Socket buffers on both sides and one read-ahead: far below what was announced.</summary>
    private const long MostEverRead = 32L * 1024 * 1024;

    [Fact]
    public async Task A_webhook_answer_is_its_status_and_its_body_is_never_read()
    {
        await using var receiver = new EndlessAnswerServer();
        var services = new ServiceCollection();
        services.AddWebhookHttpClient();
        services.Configure<WebhookOptions>(o => o.AllowPrivateTargets = true);
        await using var provider = services.BuildServiceProvider();
        var poster = new WebhookPoster(provider.GetRequiredService<IHttpClientFactory>(), provider.GetRequiredService<IOptions<WebhookOptions>>(),
            TimeProvider.System, NullLogger<WebhookPoster>.Instance);

        var result = await poster.PostAsync(receiver.Url, "whsec_" + Convert.ToBase64String(new byte[32]), "msg_1", """{"event":1}""", default);

        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.InRange(await receiver.HungUp, 0, MostEverRead);
    }

    [Fact]
    public async Task A_chat_answer_is_read_no_further_than_a_small_prefix()
    {
        await using var receiver = new EndlessAnswerServer("text/plain");
        using var provider = ChatServices.Build(new() { ["Channels:Chat:Slack:WebhookUrl"] = receiver.Url });

        var result = await provider.Webhook("slack").PostAsync("""{"text":"Investigating."}""", default);

        Assert.Equal(DeliveryStatus.Sent, result.Status);
        Assert.InRange(await receiver.HungUp, 0, MostEverRead);
    }
}
