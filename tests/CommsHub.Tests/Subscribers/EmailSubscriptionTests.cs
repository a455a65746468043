using System.Net;
using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers;

/// <summary>Double opt-in and one-click unsubscribe by email, through the real SendGrid SDK.</summary>
public sealed partial class EmailSubscriptionTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        ["Subscriptions:RateLimitPermits"] = "5",
    };

    public void Dispose() => _sendGrid.Dispose();

    [GeneratedRegex(@"https://status\.test(/subscriptions/confirm\?token=[^\s""<]+)")]
    private static partial Regex ConfirmLink();

    private async Task<string> ConfirmationLinkForAsync(string email)
    {
        SentMail? mail = null;
        await Eventually.HoldsAsync(() =>
        {
            mail = _sendGrid.Requests.LastOrDefault(r => r.Recipients.Contains(email) && r.Subject.StartsWith("Confirm", StringComparison.Ordinal));
            return Task.FromResult(mail is not null);
        }, $"a confirmation reaches {email}");
        var text = mail!.Content("text/plain")!;
        Assert.Equal(ConfirmLink().Match(text).Value, ConfirmLink().Match(mail.Content("text/html")!.Replace("&amp;", "&")).Value);
        return ConfirmLink().Match(text).Groups[1].Value;
    }

    private async Task<(HttpStatusCode Status, string Body)> GetPageAsync(string path)
    {
        using var anonymous = App.CreateClient();
        using var response = await anonymous.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<SubscriberStatus> StatusOfAsync(string email) =>
        WithDbAsync(db => db.Subscribers.Where(s => s.Address == email).Select(s => s.Status).SingleAsync());

    [Fact]
    public async Task A_person_subscribes_confirms_by_link_and_then_hears_of_incidents()
    {
        using var anonymous = App.CreateClient();
        var accepted = await anonymous.PostAsync("/api/public/subscriptions", new { email = "Viewer@Example.com" }, HttpStatusCode.Accepted);
        Assert.Equal("pending", accepted["status"]!.GetValue<string>());
        Assert.Null(accepted["secret"]);

        // Pending: an incident now does not reach them.
        var before = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        var link = await ConfirmationLinkForAsync("viewer@example.com");
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.PublishedAt != null)), "the outbox is drained");
        Assert.Empty(await Admin.AllDeliveriesAsync($"updateId={before["updates"]![0]!["id"]}"));
        Assert.Equal(SubscriberStatus.Pending, await StatusOfAsync("viewer@example.com"));

        var (status, page) = await GetPageAsync(link);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Subscription confirmed", page);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusOfAsync("viewer@example.com"));

        var after = await Admin.PostAsync($"/api/incidents/{before["id"]}/updates", new { message = "Identified the cause", status = "identified" });
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={after["id"]}&status=sent")).Count == 1, "the update reaches the new subscriber");
    }

    [Fact]
    public async Task A_forged_expired_or_misused_token_is_refused_and_changes_nothing()
    {
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        var link = await ConfirmationLinkForAsync("viewer@example.com");
        var token = link[(link.IndexOf('=') + 1)..];

        var forged = await GetPageAsync("/subscriptions/confirm?token=" + token[..^4] + "AAAA");
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.Contains("not valid or has expired", forged.Body);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetPageAsync("/subscriptions/confirm")).Status);

        // A confirmation token is not an unsubscribe token, and vice versa.
        Assert.Equal(HttpStatusCode.BadRequest, (await GetPageAsync("/subscriptions/unsubscribe?token=" + token)).Status);
        var id = await WithDbAsync(db => db.Subscribers.Select(s => s.Id).SingleAsync());
        var unsubscribeToken = App.Services.GetRequiredService<SubscriptionTokens>().ForUnsubscribe(id);
        Assert.Equal(HttpStatusCode.BadRequest, (await GetPageAsync("/subscriptions/confirm?token=" + Uri.EscapeDataString(unsubscribeToken))).Status);

        Assert.Equal(SubscriberStatus.Pending, await StatusOfAsync("viewer@example.com"));
    }

    [Fact]
    public async Task A_repeated_request_sends_no_second_confirmation_and_answers_the_same()
    {
        using var anonymous = App.CreateClient();
        var first = await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        await ConfirmationLinkForAsync("viewer@example.com");
        var asked = await ConfirmationsAskedAsync();
        var second = await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        Assert.Equal(first.ToJsonString(), second.ToJsonString());

        await Admin.SubscribeAsync("known@example.com");
        var known = await anonymous.PostAsync("/api/public/subscriptions", new { email = "known@example.com" }, HttpStatusCode.Accepted);
        Assert.Equal(first.ToJsonString(), known.ToJsonString());

        Assert.Equal(asked, await ConfirmationsAskedAsync()); // neither the repeat nor the known address asked for one
        Assert.Single(_sendGrid.Requests, r => r.Recipients.Contains("viewer@example.com"));
        Assert.DoesNotContain(_sendGrid.Requests, r => r.Recipients.Contains("known@example.com"));
    }

    [Fact]
    public async Task Asking_again_for_someone_who_just_left_sends_nothing_and_their_old_link_stays_dead()
    {
        using var anonymous = App.CreateClient();
        await anonymous.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        var link = await ConfirmationLinkForAsync("viewer@example.com");
        Assert.Equal(HttpStatusCode.OK, (await GetPageAsync(link)).Status);
        var id = await WithDbAsync(db => db.Subscribers.Select(s => s.Id).SingleAsync());
        var unsubscribe = App.Services.GetRequiredService<SubscriptionTokens>().ForUnsubscribe(id);
        using (var left = await anonymous.PostAsync("/subscriptions/unsubscribe?token=" + Uri.EscapeDataString(unsubscribe),
                   new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")])))
        {
            Assert.Equal(HttpStatusCode.OK, left.StatusCode);
        }

        // Within the resend wait: the request is answered as always, but sends nothing and changes nothing...
        using var attacker = App.CreateClient();
        var asked = await ConfirmationsAskedAsync();
        await attacker.PostAsync("/api/public/subscriptions", new { email = "viewer@example.com" }, HttpStatusCode.Accepted);
        Assert.Equal(asked, await ConfirmationsAskedAsync());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.OutboxMessages.AllAsync(m => m.PublishedAt != null)), "the outbox is drained");
        Assert.Equal(SubscriberStatus.Unsubscribed, await StatusOfAsync("viewer@example.com"));

        // ...so the old link a mail scanner opens again cannot bring her back.
        var (status, page) = await GetPageAsync(link);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("Nothing was changed", page);
        Assert.Equal(SubscriberStatus.Unsubscribed, await StatusOfAsync("viewer@example.com"));
        Assert.Single(_sendGrid.Requests, r => r.Recipients.Contains("viewer@example.com"));
    }

    [Fact]
    public async Task The_public_endpoint_is_rate_limited_per_client_with_retry_after()
    {
        using var anonymous = App.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            await anonymous.PostAsync("/api/public/subscriptions", new { email = $"p{i}@example.com" }, HttpStatusCode.Accepted);
        }
        using var limited = await anonymous.PostAsync("/api/public/subscriptions",
            new StringContent("""{"email":"p5@example.com"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync(s => s.Address == "p5@example.com")));
    }

    [Fact]
    public async Task Bad_public_input_is_a_field_error()
    {
        using var anonymous = App.CreateClient();
        var problem = await anonymous.PostAsync("/api/public/subscriptions", new { email = "nope" }, HttpStatusCode.BadRequest);
        Assert.NotNull(problem["errors"]!["email"]);
        var none = await anonymous.PostAsync("/api/public/subscriptions", new { components = Array.Empty<Guid>() }, HttpStatusCode.BadRequest);
        Assert.NotNull(none["errors"]);
        Assert.Equal(0, await WithDbAsync(db => db.Subscribers.CountAsync()));
    }

    [Fact]
    public async Task Every_update_email_carries_the_recipients_own_one_click_unsubscribe()
    {
        var annId = await Admin.SubscribeAsync("ann@example.com");
        await Admin.SubscribeAsync("bob@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Outage", message = "Investigating" });
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={incident["updates"]![0]!["id"]}&status=sent")).Count == 2, "both are sent");

        var request = _sendGrid.Requests.Single();
        Assert.Contains("%unsubscribe_url%", request.Content("text/plain"));
        Assert.Contains("%unsubscribe_url%", request.Content("text/html"));
        var urls = new List<string>();
        foreach (var p in request.Body["personalizations"]!.AsArray())
        {
            var header = p!["headers"]!["List-Unsubscribe"]!.GetValue<string>();
            Assert.Equal("List-Unsubscribe=One-Click", p["headers"]!["List-Unsubscribe-Post"]!.GetValue<string>());
            var url = p["substitutions"]!["%unsubscribe_url%"]!.GetValue<string>();
            Assert.Equal($"<{url}>", header);
            Assert.StartsWith("https://status.test/subscriptions/unsubscribe?token=", url);
            urls.Add(url);
        }
        Assert.Equal(2, urls.Distinct().Count());

        var annUrl = request.Body["personalizations"]!.AsArray()
            .Single(p => p!["to"]![0]!["email"]!.GetValue<string>() == "ann@example.com")!["substitutions"]!["%unsubscribe_url%"]!.GetValue<string>();
        var path = annUrl["https://status.test".Length..];

        // A GET (a link scanner, or the person) shows a button and changes nothing.
        var page = await GetPageAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("<form method=\"post\"", page.Body);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusOfAsync("ann@example.com"));

        // The RFC 8058 one-click POST unsubscribes.
        using var anonymous = App.CreateClient();
        using var post = await anonymous.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(SubscriberStatus.Unsubscribed, await StatusOfAsync("ann@example.com"));
        var ann = await Admin.GetJsonAsync($"/api/subscribers/{annId}");
        Assert.Equal("unsubscribed", ann["status"]!.GetValue<string>());
        Assert.NotNull(ann["unsubscribedAt"]);

        // ...and nothing further reaches her.
        var update = await Admin.PostAsync($"/api/incidents/{incident["id"]}/updates", new { message = "Fixed", status = "resolved" });
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={update["id"]}&status=sent")).Count == 1, "the update is sent");
        Assert.Equal(["bob@example.com"], (await Admin.AllDeliveriesAsync($"updateId={update["id"]}")).Select(d => d["recipient"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_forged_unsubscribe_is_refused()
    {
        await Admin.SubscribeAsync("ann@example.com");
        using var anonymous = App.CreateClient();
        using var post = await anonymous.PostAsync("/subscriptions/unsubscribe?token=CfDJ8forged", new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal(SubscriberStatus.Confirmed, await StatusOfAsync("ann@example.com"));
    }
}
