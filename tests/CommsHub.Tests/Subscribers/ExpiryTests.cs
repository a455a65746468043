using System.Net;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers;

public sealed class ExpiryTests : SqliteAppTest
{
    protected override Dictionary<string, string?> Settings() => new() { ["Subscriptions:ConfirmationTokenLifetime"] = "00:00:01" };

    [Fact]
    public async Task An_expired_confirmation_link_is_refused_and_changes_nothing()
    {
        using var anonymous = App.CreateClient();
        await Testing.Api.PostAsync(anonymous, "/api/public/subscriptions", new { email = "late@example.com" }, HttpStatusCode.Accepted);
        var id = await WithDbAsync(db => db.Subscribers.Select(s => s.Id).SingleAsync());
        var token = App.Services.GetRequiredService<SubscriptionTokens>().ForConfirmation(id);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        using var response = await anonymous.GetAsync("/subscriptions/confirm?token=" + Uri.EscapeDataString(token));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("expired", await response.Content.ReadAsStringAsync());
        Assert.Equal(SubscriberStatus.Pending, await WithDbAsync(db => db.Subscribers.Select(s => s.Status).SingleAsync()));
    }
}
