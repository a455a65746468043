using System.Net;
using CommsHub.Core.Common;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Tests.Subscribers;

/// <summary>SMS double opt-in and keywords, with Twilio-signed inbound requests computed as Twilio computes them.</summary>
public sealed class SmsSubscriptionTests : SqliteAppTest, IDisposable
{
    private const string InboundUrl = "https://status.test/webhooks/twilio/sms";
    private readonly TwilioFake _twilio = new();
    private int _sid;

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Sms:Twilio:AccountSid"] = TwilioFake.AccountSid,
        ["Channels:Sms:Twilio:AuthToken"] = TwilioFake.AuthToken,
        ["Channels:Sms:Twilio:BaseUrl"] = _twilio.Url,
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:DefaultRegion"] = "US",
    };

    public void Dispose() => _twilio.Dispose();

    private async Task<(HttpStatusCode Status, string Body)> TextAsync(string from, string body, string? sid = null, string? signature = null,
        Dictionary<string, string>? parameters = null)
    {
        parameters ??= new()
        {
            ["MessageSid"] = sid ?? $"SM{Interlocked.Increment(ref _sid):D32}",
            ["AccountSid"] = TwilioFake.AccountSid,
            ["From"] = from,
            ["To"] = "+15005550006",
            ["Body"] = body,
            ["NumMedia"] = "0",
        };
        using var client = App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/twilio/sms") { Content = new FormUrlEncodedContent(parameters) };
        request.Headers.Add("X-Twilio-Signature", signature ?? TwilioSignature.Compute(TwilioFake.AuthToken, InboundUrl, parameters));
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<SubscriberStatus> StatusAsync(string number) =>
        WithDbAsync(db => db.Subscribers.Where(s => s.Channel == Channel.Sms && s.Address == number).Select(s => s.Status).SingleAsync());

    private async Task SubscribeAndAwaitConfirmationTextAsync(string typed, string e164)
    {
        using var anonymous = App.CreateClient();
        var accepted = await anonymous.PostAsync("/api/public/subscriptions", new { phone = typed }, HttpStatusCode.Accepted);
        Assert.Contains("Reply YES", accepted["message"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => Task.FromResult(_twilio.Requests.Any(r => r.To == e164)), $"a confirmation text reaches {e164}");
    }

    [Fact]
    public async Task A_number_is_normalised_texted_and_confirmed_by_a_signed_YES()
    {
        await SubscribeAndAwaitConfirmationTextAsync("(202) 555-0173", "+12025550173");
        var text = _twilio.Requests.Single();
        Assert.Equal("+15005550006", text.From);
        Assert.Equal(TwilioFake.Basic(), text.Authorization);
        Assert.Contains("reply YES", text.Body);
        Assert.Contains("Reply STOP", text.Body);
        Assert.Equal(SubscriberStatus.Pending, await StatusAsync("+12025550173"));

        var (status, twiml) = await TextAsync("+12025550173", " yes ");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("<Message>Acme Status: you will get incident alerts by text.", twiml);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("+12025550173"));
    }

    [Fact]
    public async Task A_bad_or_missing_signature_is_403_and_changes_nothing()
    {
        await SubscribeAndAwaitConfirmationTextAsync("+12025550173", "+12025550173");
        var parameters = new Dictionary<string, string> { ["MessageSid"] = "SM1", ["From"] = "+12025550173", ["Body"] = "YES" };
        var signedForOtherBody = TwilioSignature.Compute(TwilioFake.AuthToken, InboundUrl, new Dictionary<string, string>(parameters) { ["Body"] = "NO" });
        Assert.Equal(HttpStatusCode.Forbidden, (await TextAsync("", "", signature: signedForOtherBody, parameters: parameters)).Status);
        var wrongToken = TwilioSignature.Compute("ffffffffffffffffffffffffffffffff", InboundUrl, parameters);
        Assert.Equal(HttpStatusCode.Forbidden, (await TextAsync("", "", signature: wrongToken, parameters: parameters)).Status);
        var wrongUrl = TwilioSignature.Compute(TwilioFake.AuthToken, "https://evil.test/webhooks/twilio/sms", parameters);
        Assert.Equal(HttpStatusCode.Forbidden, (await TextAsync("", "", signature: wrongUrl, parameters: parameters)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await TextAsync("", "", signature: "", parameters: parameters)).Status);

        Assert.Equal(SubscriberStatus.Pending, await StatusAsync("+12025550173"));
        Assert.Equal(0, await WithDbAsync(db => db.InboundMessages.CountAsync()));
    }

    [Theory]
    [InlineData("STOP")]
    [InlineData("stopall")]
    [InlineData("Unsubscribe")]
    [InlineData("CANCEL")]
    [InlineData("end")]
    [InlineData("Quit.")]
    [InlineData("REVOKE")]
    [InlineData("optout")]
    public async Task Every_stop_word_unsubscribes_and_START_resubscribes(string keyword)
    {
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550173", confirmed = true });
        var (status, twiml) = await TextAsync("+12025550173", keyword);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("<Message>", twiml); // Twilio's own opt-out reply is the one the person gets
        Assert.Equal(SubscriberStatus.Unsubscribed, await StatusAsync("+12025550173"));

        await TextAsync("+12025550173", keyword == "end" ? "UNSTOP" : "start");
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("+12025550173"));
    }

    [Fact]
    public async Task HELP_answers_with_the_page_name_and_how_to_stop()
    {
        var (_, twiml) = await TextAsync("+12025550173", "help");
        Assert.Contains("<Message>Acme Status incident alerts: https://status.test/", twiml);
        Assert.Contains("Reply STOP to unsubscribe", twiml);
    }

    [Fact]
    public async Task A_replayed_request_has_one_effect()
    {
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550173", confirmed = true });
        await TextAsync("+12025550173", "STOP", sid: "SMstop");
        await TextAsync("+12025550173", "START", sid: "SMstart");
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("+12025550173"));

        var (status, twiml) = await TextAsync("+12025550173", "STOP", sid: "SMstop");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("<Message>", twiml);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusAsync("+12025550173"));
        Assert.Equal(2, await WithDbAsync(db => db.InboundMessages.CountAsync()));
    }

    [Fact]
    public async Task An_erased_number_that_opted_out_is_never_texted_again_until_it_says_START()
    {
        var created = await Admin.PostAsync("/api/subscribers", new { phone = "+12025550173", confirmed = true });
        await TextAsync("+12025550173", "STOP");
        using (var response = await Admin.DeleteAsync($"/api/subscribers/{created["id"]}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal(1, await WithDbAsync(db => db.Suppressions.CountAsync()));
        Assert.False(await WithDbAsync(db => db.Suppressions.AnyAsync(s => s.AddressHash.Contains("2025550173"))));

        using var anonymous = App.CreateClient();
        var asked = await ConfirmationsAskedAsync();
        await anonymous.PostAsync("/api/public/subscriptions", new { phone = "+1 202 555 0173" }, HttpStatusCode.Accepted);
        Assert.Equal(asked, await ConfirmationsAskedAsync());
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550173" }, HttpStatusCode.Conflict);
        using (var csv = new StringContent("phone\n+12025550173\n", System.Text.Encoding.UTF8, "text/csv"))
        using (var import = await Admin.PostAsync("/api/subscribers/import", csv))
        {
            Assert.Contains("opted out and was erased", await import.Content.ReadAsStringAsync());
        }
        Assert.Empty(_twilio.Requests);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));

        // The person's own START lifts the suppression; then they may subscribe again.
        await TextAsync("+12025550173", "START");
        Assert.Equal(0, await WithDbAsync(db => db.Suppressions.CountAsync()));
        await SubscribeAndAwaitConfirmationTextAsync("+12025550173", "+12025550173");
    }

    [Fact]
    public async Task An_invalid_number_is_a_field_error()
    {
        using var anonymous = App.CreateClient();
        var problem = await anonymous.PostAsync("/api/public/subscriptions", new { phone = "12" }, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["phone"]);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }
}
