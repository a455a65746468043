using CommsHub.Core.Maintenances;

namespace CommsHub.Tests.Scheduling;

public sealed class MaintenanceTextsTests
{
    [Theory]
    [InlineData(3_600, "1 hour")]
    [InlineData(2 * 86_400, "2 days")]
    [InlineData(5_400, "1 hour 30 minutes")]
    [InlineData(45, "45 seconds")]
    [InlineData(60, "1 minute")]
    [InlineData(86_400 + 2 * 3_600, "1 day 2 hours")]
    [InlineData(86_400 + 2 * 3_600 + 30 * 60, "1 day 2 hours")]
    [InlineData(3_600 + 59, "1 hour")]
    [InlineData(0, "moments")]
    public void Duration_names_the_two_largest_units(int seconds, string expected) =>
        Assert.Equal(expected, MaintenanceTexts.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Duration_rounds_to_whole_seconds() =>
        Assert.Equal("1 minute", MaintenanceTexts.Duration(TimeSpan.FromSeconds(59.6)));
}
