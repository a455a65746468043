using System.ComponentModel.DataAnnotations;
using CommsHub.Core.Channels.Webhook;

namespace CommsHub.Tests.Webhooks;

public sealed class WebhookOptionsTests
{
    [Fact]
    public void Defaults_refuse_private_targets_and_wait_15_seconds()
    {
        var options = new WebhookOptions();

        Assert.False(options.AllowPrivateTargets);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Timeout);
        Assert.Empty(Validate(options));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3600)]
    public void A_timeout_outside_one_second_to_ten_minutes_is_refused(int seconds)
    {
        var errors = Validate(new WebhookOptions { Timeout = TimeSpan.FromSeconds(seconds) });

        Assert.Equal("Webhooks:Timeout must be between 00:00:01 and 00:10:00 (e.g. \"00:00:15\").", Assert.Single(errors).ErrorMessage);
    }

    private static List<ValidationResult> Validate(WebhookOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
