using CommsHub.Core.Channels.Chat;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Chat;

/// <summary>Channels:Chat validated as the host does it, the three registrations, the "chat" client, and the Target labels.</summary>
public sealed class ChatOptionsTests
{
    private const string SlackUrl = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXa1b2";
    private const string DiscordUrl = "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyzABCDEFGHIJc3d4";
    private const string TeamsUrl = "https://prod-12.westeurope.logic.azure.com:443/workflows/0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIGNATURESIGNATUREe5f6";

    [Fact]
    public void No_configuration_is_valid_and_registers_all_three_off_with_empty_targets()
    {
        using var services = ChatServices.Build([]);

        services.GetRequiredService<IStartupValidator>().Validate();
        var webhooks = services.GetServices<IChatWebhook>().ToList();
        Assert.Equal(["slack", "discord", "teams"], webhooks.Select(w => w.Name));
        Assert.All(webhooks, w => Assert.False(w.IsConfigured));
        Assert.All(webhooks, w => Assert.Equal("", w.Target));
        Assert.Same(webhooks[0], services.GetServices<IChatWebhook>().First());
    }

    [Fact]
    public void Configured_urls_turn_each_medium_on_with_a_target_that_keeps_the_secret_out()
    {
        using var services = ChatServices.Build(new()
        {
            ["Channels:Chat:Slack:WebhookUrl"] = SlackUrl,
            ["Channels:Chat:Discord:WebhookUrl"] = " " + DiscordUrl + " ",
            ["Channels:Chat:Teams:WebhookUrl"] = TeamsUrl,
        });

        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.All(services.GetServices<IChatWebhook>(), w => Assert.True(w.IsConfigured));
        Assert.Equal("slack:hooks.slack.com/…/a1b2", services.Webhook("slack").Target);
        Assert.Equal("discord:discord.com/…/c3d4", services.Webhook("discord").Target);
        Assert.Equal("teams:prod-12.westeurope.logic.azure.com/…/e5f6", services.Webhook("teams").Target);
    }

    [Fact]
    public void Targets_of_the_fake_urls_never_contain_their_secret_paths()
    {
        using var fake = new ChatWebhookFake();
        using var services = ChatServices.Build(fake.Configuration);

        var targets = services.GetServices<IChatWebhook>().Select(w => w.Target).ToList();

        Assert.Equal(["slack:localhost/…/a1b2", "discord:localhost/…/c3d4", "teams:localhost/…/e5f6"], targets);
        foreach (var secret in new[] { ChatWebhookFake.SlackSecret, ChatWebhookFake.DiscordSecret, ChatWebhookFake.TeamsSecret, "/services/", "/api/webhooks/", "/workflows/" })
        {
            Assert.All(targets, t => Assert.DoesNotContain(secret[..^4], t));
        }
    }

    [Fact]
    public void A_short_path_shows_none_of_itself()
    {
        using var services = ChatServices.Build(new() { ["Channels:Chat:Slack:WebhookUrl"] = "https://chat.example.com/hook/abc" });

        Assert.Equal("slack:chat.example.com/…", services.Webhook("slack").Target);
    }

    [Theory]
    [InlineData("Slack", "hooks.slack.com/services/T0/B0/secret",
        "Channels:Chat:Slack:WebhookUrl is not an absolute URL: paste the whole incoming-webhook URL (https://hooks.slack.com/services/…), or leave it empty to turn Slack off.")]
    [InlineData("Slack", "/services/T0/B0/secret",
        "Channels:Chat:Slack:WebhookUrl is not an absolute URL: paste the whole incoming-webhook URL (https://hooks.slack.com/services/…), or leave it empty to turn Slack off.")]
    [InlineData("Discord", "http://discord.com/api/webhooks/1/secret",
        "Channels:Chat:Discord:WebhookUrl must use https, not http: paste the whole incoming-webhook URL (https://discord.com/api/webhooks/…), or leave it empty to turn Discord off.")]
    [InlineData("Discord", "ftp://discord.com/api/webhooks/1/secret",
        "Channels:Chat:Discord:WebhookUrl must use https, not ftp: paste the whole incoming-webhook URL (https://discord.com/api/webhooks/…), or leave it empty to turn Discord off.")]
    [InlineData("Teams", "https://user:secret@prod-1.westus.logic.azure.com/workflows/1",
        "Channels:Chat:Teams:WebhookUrl must not contain a user name or password: paste the whole incoming-webhook URL (the HTTP POST URL of a Teams Workflows \"webhook request\" trigger), or leave it empty to turn Teams off.")]
    public void A_bad_url_stops_the_start_with_a_message_that_says_what_to_do_without_repeating_the_secret(string medium, string url, string message)
    {
        using var services = ChatServices.Build(new() { [$"Channels:Chat:{medium}:WebhookUrl"] = url });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(message, Assert.Single(ex.Failures));
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Theory]
    [InlineData("http://localhost:9000/hook")]
    [InlineData("http://127.0.0.1:9000/hook")]
    [InlineData("http://[::1]:9000/hook")]
    [InlineData("")]
    [InlineData("   ")]
    public void Plain_http_is_accepted_only_on_loopback_where_it_never_leaves_the_machine(string url)
    {
        using var services = ChatServices.Build(new() { ["Channels:Chat:Slack:WebhookUrl"] = url });

        services.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(url.Trim().Length > 0, services.Webhook("slack").IsConfigured);
    }

    [Fact]
    public void The_chat_client_waits_30_seconds_follows_no_redirects_keeps_no_cookies_and_logs_no_urls()
    {
        using var services = ChatServices.Build([]);

        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(ChatSetup.HttpClientName);
        var handler = services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(ChatSetup.HttpClientName);
        var chain = new List<HttpMessageHandler>();
        for (HttpMessageHandler? h = handler; h is not null; h = (h as DelegatingHandler)?.InnerHandler)
        {
            chain.Add(h);
        }

        Assert.Equal(TimeSpan.FromSeconds(30), client.Timeout);
        var primary = Assert.IsType<SocketsHttpHandler>(chain[^1]);
        Assert.False(primary.AllowAutoRedirect);
        Assert.False(primary.UseCookies);
        Assert.DoesNotContain(chain, h => h is LoggingHttpMessageHandler or LoggingScopeHttpMessageHandler);
    }
}
