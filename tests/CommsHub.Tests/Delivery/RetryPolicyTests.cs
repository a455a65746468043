using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;

namespace CommsHub.Tests.Delivery;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Retries_are_jittered_within_20_percent_of_the_schedule()
    {
        var delays = Enumerable.Range(0, 200).Select(_ => RetryPolicy.Next(Channel.Email, 1, null, Now)!.Value - Now).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6)));
        Assert.True(delays.Distinct().Count() > 100, "the delays are spread, not one value");
    }

    [Fact]
    public void A_Retry_After_longer_than_the_schedule_is_a_floor_plus_at_most_the_spread()
    {
        var delays = Enumerable.Range(0, 200).Select(_ => RetryPolicy.Next(Channel.Sms, 1, TimeSpan.FromSeconds(7), Now)!.Value - Now).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7) + RetryPolicy.RetryAfterSpread));
    }

    [Fact]
    public void A_Retry_After_shorter_than_the_schedule_changes_nothing()
    {
        var delay = RetryPolicy.Next(Channel.Webhook, 2, TimeSpan.FromSeconds(1), Now)!.Value - Now;

        Assert.InRange(delay, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6));
    }

    [Theory]
    [InlineData(Channel.Email, 9)]
    [InlineData(Channel.Webhook, 8)]
    public void After_the_last_scheduled_retry_the_delivery_fails(Channel channel, int attempts)
    {
        Assert.Equal(attempts, RetryPolicy.MaxAttempts(channel));
        Assert.NotNull(RetryPolicy.Next(channel, attempts - 1, null, Now));
        Assert.Null(RetryPolicy.Next(channel, attempts, null, Now));
    }
}
