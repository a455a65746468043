using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// The one-click unsubscribe token of campaign emails: the compact keyed-MAC form, links sent with the Data Protection
/// form before it, and tokens that were tampered with or replayed on another channel.
/// </summary>
public sealed class CampaignOptOutTests : SqliteAppTest, IDisposable
{
    private const string Base64UrlDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
    };

    public void Dispose() => _sendGrid.Dispose();

    [Fact]
    public async Task A_new_link_and_one_sent_before_both_keep_their_address_out_of_the_next_campaign()
    {
        using var list = new StringContent("externalId,email\nc1,ann@example.com\nc2,bob@example.com\nc3,cy@example.com\n", Encoding.UTF8, "text/csv");
        var listId = (await CreatedAsync("/api/audiences", list))["id"]!.GetValue<string>();
        await SendAsync(listId, "A\nB\nC\n", expectedRequests: 1);
        var ann = _sendGrid.Requests[0].Body["personalizations"]!.AsArray().Single(p => p!["to"]![0]!["email"]!.GetValue<string>() == "ann@example.com")!;
        var link = ann["headers"]!["List-Unsubscribe"]!.GetValue<string>().Trim('<', '>');
        Assert.StartsWith("https://status.test/campaigns/unsubscribe?token=2.email.", link, StringComparison.Ordinal);
        var token = link[(link.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..];
        Assert.Matches("^2\\.email\\.[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{22}$", token);

        // A link in a mailbox from before: Data Protection of "<channel>:<address>" under the purpose it was made with.
        var legacy = App.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("CommsHub.Campaigns.OptOut.v1").Protect("email:cy@example.com");

        Assert.Equal(HttpStatusCode.OK, await ClickAsync(token));
        Assert.Equal(HttpStatusCode.OK, await ClickAsync(legacy));
        Assert.Equal(HttpStatusCode.OK, await ClickAsync(token)); // a second click: still out, one record

        // What is recorded is the keyed hash the planner compares against.
        var hasher = App.Services.GetRequiredService<AddressHasher>();
        Assert.Equal(
            new[] { hasher.Hash(Channel.Email, "ann@example.com"), hasher.Hash(Channel.Email, "cy@example.com") }.Order(),
            (await OptOutsAsync()).Select(o => o.AddressHash).Order());

        await SendAsync(listId, "D\nE\nF\n", expectedRequests: 2);
        Assert.Equal(["bob@example.com"], _sendGrid.Requests[1].Recipients);
    }

    [Theory]
    [InlineData("channel")]
    [InlineData("hash")]
    [InlineData("mac")]
    [InlineData("mac's last character")]
    public async Task A_token_with_one_character_changed_is_refused_and_records_nothing(string where)
    {
        var token = await TokenAsync(Channel.Email, "ann@example.com");
        var parts = token.Split('.');
        var (part, at) = where switch
        {
            "channel" => (1, 0),
            "hash" => (2, 20),
            "mac" => (3, 0),
            _ => (3, parts[3].Length - 1),
        };
        // The neighbouring base64url digit: only the lowest bit differs, which in the MAC's last character is padding
        // (the same 16 bytes spelt otherwise) and must not pass either.
        var chars = parts[part].ToCharArray();
        chars[at] = Base64UrlDigits[Base64UrlDigits.IndexOf(chars[at], StringComparison.Ordinal) ^ 1];
        parts[part] = new string(chars);
        var tampered = string.Join('.', parts);
        Assert.NotEqual(token, tampered);

        Assert.Equal(HttpStatusCode.BadRequest, await ClickAsync(tampered));
        Assert.Empty(await OptOutsAsync());
    }

    [Fact]
    public async Task A_token_for_one_channel_cannot_be_replayed_as_another()
    {
        var token = await TokenAsync(Channel.Email, "ann@example.com");
        Assert.StartsWith("2.email.", token, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, await ClickAsync("2.sms." + token["2.email.".Length..]));
        Assert.Empty(await OptOutsAsync());

        Assert.Equal(HttpStatusCode.OK, await ClickAsync(token));
        Assert.Equal([Channel.Email], (await OptOutsAsync()).Select(o => o.Channel));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2.")]
    [InlineData("2..")]
    [InlineData("2.email")]
    [InlineData("2.email..")]
    [InlineData("2.email.AAAA.AAAA")]
    [InlineData("2.nope.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("2.émail.AAAA.AAAA")]
    [InlineData("2.email.AAAA.AAAA==")]
    [InlineData("CfDJ8AAAAAAAAAAAAAAAA")]
    [InlineData("not a token at all")]
    public async Task A_malformed_token_is_refused_with_the_usual_answer(string token)
    {
        using var response = await Admin.PostAsync("/campaigns/unsubscribe?token=" + Uri.EscapeDataString(token), null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This link is not valid.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await OptOutsAsync());
    }

    [Fact]
    public async Task A_very_long_token_is_refused()
    {
        var token = await TokenAsync(Channel.Email, "ann@example.com");
        Assert.Equal(HttpStatusCode.BadRequest, await ClickAsync(token + new string('A', 200)));
        Assert.Empty(await OptOutsAsync());
    }

    private async Task<string> TokenAsync(Channel channel, string address)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var url = scope.ServiceProvider.GetRequiredService<CampaignOptOuts>().Url(channel, address);
        return url[(url.IndexOf("token=", StringComparison.Ordinal) + "token=".Length)..];
    }

    // RFC 8058: the mailbox provider POSTs List-Unsubscribe=One-Click to the link.
    private async Task<HttpStatusCode> ClickAsync(string token)
    {
        using var body = new StringContent("List-Unsubscribe=One-Click", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await Admin.PostAsync("/campaigns/unsubscribe?token=" + Uri.EscapeDataString(token), body);
        return response.StatusCode;
    }

    private Task<List<CampaignOptOut>> OptOutsAsync() => WithDbAsync(db => db.CampaignOptOuts.AsNoTracking().ToListAsync());

    private async Task<JsonNode> CreatedAsync(string path, HttpContent content)
    {
        using var response = await Admin.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private async Task SendAsync(string listId, string codes, int expectedRequests)
    {
        using var pool = new StringContent("code\n" + codes, Encoding.UTF8, "text/csv");
        var campaign = await Admin.PostAsync("/api/campaigns", new
        {
            kind = "compensation", title = "Sorry, {{ name }}", message = "Your free week: {{ code }}", channels = new[] { "email" },
            audience = new { listId }, codePoolId = (await CreatedAsync("/api/code-pools", pool))["id"]!.GetValue<string>(),
        });
        await Admin.PostAsync($"/api/campaigns/{campaign["id"]}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => Task.FromResult(_sendGrid.Requests.Count == expectedRequests), "the campaign is sent");
    }
}
