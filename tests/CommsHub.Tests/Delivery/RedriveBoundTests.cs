using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Messaging;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Delivery;

/// <summary>The redrive gives up on what can never complete instead of re-sending it forever.</summary>
public sealed class RedriveBoundTests : SqliteAppTest
{
    [Fact]
    public async Task A_delivery_claimed_as_often_as_its_schedule_allows_without_an_outcome_fails_instead_of_being_redriven()
    {
        await Admin.SubscribeAsync("reader@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Looking into it." });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status != DeliveryStatus.Queued)),
            "the sandboxed delivery is recorded");
        // As a sender leaves it that failed after its claim every time: queued, lease run out, the schedule's claims used up,
        // and so created at least a lease before its lease ran out.
        var max = RetryPolicy.MaxAttempts(Channel.Email);
        var past = DateTimeOffset.UtcNow.AddMinutes(-1);
        var created = past - DeliveryLeases.LeaseDuration - TimeSpan.FromMinutes(1);
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DeliveryStatus.Queued).SetProperty(d => d.Attempts, max).SetProperty(d => d.CreatedAt, created)
            .SetProperty(d => d.LeaseToken, Guid.NewGuid()).SetProperty(d => d.LeaseUntil, past)));
        await WithDbAsync(db => db.ReopenAsync(updateId, created));

        // A run of the recurring deliveries-retry job may overlap this call, which then does nothing: call until a run
        // after the change has given the delivery up.
        var redrive = App.Services.GetRequiredService<DeliveryRedrive>();
        await Eventually.HoldsAsync(async () =>
        {
            await redrive.RedriveOnceAsync(CancellationToken.None);
            return await WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status == DeliveryStatus.Failed));
        }, "the redrive gives the delivery up");

        var delivery = Assert.Single(await Admin.AllDeliveriesAsync($"updateId={updateId}"));
        Assert.Equal("failed", delivery["status"]!.GetValue<string>());
        Assert.Equal(max, delivery["attempts"]!.GetValue<int>());
        Assert.StartsWith($"Gave up after {max} attempts: the sender took this delivery {max} times and never recorded an outcome",
            delivery["lastError"]!.GetValue<string>());
        var alert = Assert.Single((await Admin.GetJsonAsync("/api/alerts"))["items"]!.AsArray());
        Assert.Equal("delivery.abandoned", alert!["action"]!.GetValue<string>());
        Assert.Equal("no_outcome", alert["data"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delivery_with_claims_left_is_not_given_up()
    {
        await Admin.SubscribeAsync("reader@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Looking into it." });
        var updateId = Guid.Parse(incident["updates"]![0]!["id"]!.GetValue<string>());
        await Eventually.HoldsAsync(() => WithDbAsync(db => db.Deliveries.AnyAsync(d => d.UpdateId == updateId && d.Status != DeliveryStatus.Queued)),
            "the sandboxed delivery is recorded");
        var future = DateTimeOffset.UtcNow.AddHours(1);
        await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == updateId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, DeliveryStatus.Queued).SetProperty(d => d.Attempts, RetryPolicy.MaxAttempts(Channel.Email) - 1)
            .SetProperty(d => d.LeaseToken, Guid.NewGuid()).SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddMinutes(-1))
            .SetProperty(d => d.NextAttemptAt, future)));
        await WithDbAsync(db => db.ReopenAsync(updateId, DateTimeOffset.UtcNow.AddMinutes(-10)));

        await App.Services.GetRequiredService<DeliveryRedrive>().RedriveOnceAsync(CancellationToken.None);

        Assert.Equal("queued", Assert.Single(await Admin.AllDeliveriesAsync($"updateId={updateId}"))["status"]!.GetValue<string>());
        Assert.Empty((await Admin.GetJsonAsync("/api/alerts"))["items"]!.AsArray());
    }

    [Theory]
    [InlineData(typeof(System.Text.Json.JsonException), true)]
    [InlineData(typeof(System.Runtime.Serialization.SerializationException), true)]
    [InlineData(typeof(ArgumentNullException), true)]
    [InlineData(typeof(FormatException), true)]
    [InlineData(typeof(TimeoutException), false)]
    [InlineData(typeof(InvalidOperationException), false)]
    [InlineData(typeof(TransientTestException), false)]
    public void Only_faults_that_cannot_pass_skip_the_retries(Type exception, bool permanent) =>
        Assert.Equal(permanent, FailurePolicyOptions.Permanent((Exception)Activator.CreateInstance(exception)!));

    public sealed class TransientTestException : Exception;
}
