using System.Net;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Subscribers;

/// <summary>An operator asks for a pending subscriber's confirmation again: it goes out again, within the same throttle as a public request.</summary>
public sealed class ResendConfirmationTests : SqliteAppTest, IDisposable
{
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test-key",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Acme Status <status@acme.example>",
        // No wait between asks, so the daily cap is what refuses the third.
        ["Subscriptions:ConfirmationResendAfter"] = "00:00:00",
        ["Subscriptions:MaxConfirmationsPerDay"] = "2",
    };

    public void Dispose() => _sendGrid.Dispose();

    private int ConfirmationsTo(string email) =>
        _sendGrid.Requests.Count(r => r.Recipients.Contains(email) && r.Subject.StartsWith("Confirm", StringComparison.Ordinal));

    private async Task<ResendOutcome> ResendAsync(Guid id)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SubscriberService>().ResendConfirmationAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task A_pending_subscriber_is_sent_the_confirmation_again_until_the_daily_cap_and_others_are_not()
    {
        var pending = await Admin.PostAsync("/api/subscribers", new { email = "late@example.com" }, HttpStatusCode.Created);
        var pendingId = Guid.Parse(pending["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => Task.FromResult(ConfirmationsTo("late@example.com") == 1), "the first confirmation goes out");

        Assert.Equal(ResendOutcome.Queued, await ResendAsync(pendingId));
        await Eventually.HoldsAsync(() => Task.FromResult(ConfirmationsTo("late@example.com") == 2), "the confirmation goes out again");

        // Two a day at most (this host's cap): the third ask is refused and sends nothing.
        Assert.Equal(ResendOutcome.TooSoon, await ResendAsync(pendingId));

        var confirmed = await Admin.PostAsync("/api/subscribers", new { email = "done@example.com", confirmed = true }, HttpStatusCode.Created);
        Assert.Equal(ResendOutcome.NotPending, await ResendAsync(Guid.Parse(confirmed["id"]!.GetValue<string>())));
        Assert.Equal(ResendOutcome.NotFound, await ResendAsync(Guid.CreateVersion7()));
        Assert.Equal(2, ConfirmationsTo("late@example.com"));
        Assert.Equal(0, ConfirmationsTo("done@example.com"));
    }
}
