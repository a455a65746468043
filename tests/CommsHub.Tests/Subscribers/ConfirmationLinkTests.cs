using System.Net;
using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers;

/// <summary>
/// Confirmation links, replayed as a mail scanner or an attacker would: a link confirms once, only a pending
/// subscriber, only if it is the latest one sent; someone who left stays left. No wait between repeated requests
/// here, so every request really sends a new link.
/// </summary>
public sealed partial class ConfirmationLinkTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        ["Subscriptions:ConfirmationResendAfter"] = "00:00:00",
        ["Subscriptions:MaxConfirmationsPerDay"] = "10",
        ["Channels:Sms:From"] = "+15005550006",
        ["Channels:Sms:DefaultRegion"] = "US",
    };

    public void Dispose() => _sendGrid.Dispose();

    [GeneratedRegex(@"https://status\.test(/subscriptions/confirm\?token=[^\s""<]+)")]
    private static partial Regex ConfirmLink();

    private List<SentMail> Confirmations(string email) =>
        _sendGrid.Requests.Where(r => r.Recipients.Contains(email) && r.Subject.StartsWith("Confirm", StringComparison.Ordinal)).ToList();

    /// <summary>Asks for a subscription as anyone could, and returns the link in the confirmation it sent.</summary>
    private async Task<string> RequestAndReadLinkAsync(string email)
    {
        var before = Confirmations(email).Count;
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email }, HttpStatusCode.Accepted);
        await Eventually.HoldsAsync(() => Task.FromResult(Confirmations(email).Count > before), $"a confirmation reaches {email}");
        return ConfirmLink().Match(Confirmations(email)[^1].Content("text/plain")!).Groups[1].Value;
    }

    private async Task<(HttpStatusCode Status, string Body)> OpenAsync(string path)
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<Subscriber> SubscriberAsync(string email) =>
        WithDbAsync(db => db.Subscribers.AsNoTracking().SingleAsync(s => s.Address == email));

    private async Task UnsubscribeByLinkAsync(Guid id)
    {
        var token = App.Services.GetRequiredService<SubscriptionTokens>().ForUnsubscribe(id);
        using var anonymous = App.CreateClient();
        using var post = await anonymous.PostAsync("/subscriptions/unsubscribe?token=" + Uri.EscapeDataString(token),
            new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
    }

    [Fact]
    public async Task An_older_link_is_dead_once_a_newer_one_is_sent()
    {
        var older = await RequestAndReadLinkAsync("viewer@example.com");
        var newer = await RequestAndReadLinkAsync("viewer@example.com");
        Assert.NotEqual(older, newer);

        var (status, page) = await OpenAsync(older);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("Nothing was changed", page);
        Assert.Equal(SubscriberStatus.Pending, (await SubscriberAsync("viewer@example.com")).Status);

        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(newer)).Status);
        Assert.Equal(SubscriberStatus.Confirmed, (await SubscriberAsync("viewer@example.com")).Status);
    }

    [Fact]
    public async Task A_link_opened_again_shows_the_state_and_changes_nothing()
    {
        var link = await RequestAndReadLinkAsync("viewer@example.com");
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(link)).Status); // a mail scanner got there first
        var confirmed = await SubscriberAsync("viewer@example.com");

        var (status, page) = await OpenAsync(link); // then the person
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("already confirmed", page);
        Assert.Contains("Nothing was changed", page);
        var after = await SubscriberAsync("viewer@example.com");
        Assert.Equal((confirmed.Status, confirmed.ConfirmedAt), (after.Status, after.ConfirmedAt));
    }

    [Fact]
    public async Task An_old_link_never_resubscribes_someone_who_left()
    {
        var link = await RequestAndReadLinkAsync("viewer@example.com");
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(link)).Status);
        var id = (await SubscriberAsync("viewer@example.com")).Id;
        await UnsubscribeByLinkAsync(id);
        var left = await SubscriberAsync("viewer@example.com");

        // A mail scanner re-opens the old email.
        var (status, page) = await OpenAsync(link);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("Nothing was changed", page);
        var after = await SubscriberAsync("viewer@example.com");
        Assert.Equal((SubscriberStatus.Unsubscribed, left.UnsubscribedAt), (after.Status, after.UnsubscribedAt));

        // Someone asks for the address again: the person gets a new link; the old one still does nothing.
        var fresh = await RequestAndReadLinkAsync("viewer@example.com");
        Assert.Equal(HttpStatusCode.Conflict, (await OpenAsync(link)).Status);
        Assert.Equal(SubscriberStatus.Pending, (await SubscriberAsync("viewer@example.com")).Status);
        Assert.Equal(HttpStatusCode.OK, (await OpenAsync(fresh)).Status);
        Assert.Equal(SubscriberStatus.Confirmed, (await SubscriberAsync("viewer@example.com")).Status);
    }

    [Fact]
    public async Task A_suppressed_address_stays_suppressed_whatever_link_is_opened()
    {
        var link = await RequestAndReadLinkAsync("bounced@example.com");
        // A hard bounce suppresses the address before anyone clicks.
        await WithDbAsync(db => db.Subscribers.Where(s => s.Address == "bounced@example.com")
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriberStatus.Suppressed)));

        Assert.Equal(HttpStatusCode.Conflict, (await OpenAsync(link)).Status);
        Assert.Equal(SubscriberStatus.Suppressed, (await SubscriberAsync("bounced@example.com")).Status);

        // Nor does asking again send anything to it.
        var sent = Confirmations("bounced@example.com").Count;
        var asked = await ConfirmationsAskedAsync();
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "bounced@example.com" }, HttpStatusCode.Accepted);
        Assert.Equal(asked, await ConfirmationsAskedAsync());
        Assert.Equal(sent, Confirmations("bounced@example.com").Count);
        Assert.Equal(SubscriberStatus.Suppressed, (await SubscriberAsync("bounced@example.com")).Status);
    }

    [Fact]
    public async Task Every_known_address_gets_the_answer_a_new_one_gets_and_no_extra_message()
    {
        using var anonymous = App.CreateClient();
        async Task<string> AnswerAsync(object body)
        {
            using var response = await anonymous.PostAsync("/api/public/subscriptions",
                new StringContent(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Null(response.Headers.Location);
            return $"{response.Content.Headers.ContentType} {await response.Content.ReadAsStringAsync()}";
        }

        await Admin.SubscribeAsync("confirmed@example.com");
        var left = await Admin.SubscribeAsync("left@example.com");
        await UnsubscribeByLinkAsync(Guid.Parse(left));
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550173", confirmed = true });

        var fresh = await AnswerAsync(new { email = "new@example.com" });
        Assert.DoesNotContain("secret", fresh, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(fresh, await AnswerAsync(new { email = "confirmed@example.com" }));
        Assert.Equal(fresh, await AnswerAsync(new { email = "left@example.com" }));
        Assert.Equal(fresh, await AnswerAsync(new { email = "new@example.com" }));
        var newPhone = await AnswerAsync(new { phone = "+12025550174" });
        Assert.Equal(newPhone, await AnswerAsync(new { phone = "+12025550173" }));

        var confirmedId = await WithDbAsync(db => db.Subscribers.Where(x => x.Address == "confirmed@example.com").Select(x => x.Id).SingleAsync());
        Assert.Equal(0, await ConfirmationsAskedAsync(confirmedId));
        Assert.Empty(Confirmations("confirmed@example.com"));
        Assert.Equal(SubscriberStatus.Confirmed, (await SubscriberAsync("confirmed@example.com")).Status);
    }
}
