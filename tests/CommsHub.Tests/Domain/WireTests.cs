using CommsHub.Core.Common;

namespace CommsHub.Tests.Domain;

public sealed class WireTests
{
    [Theory]
    [InlineData(ComponentStatus.DegradedPerformance, "degraded_performance")]
    [InlineData(ComponentStatus.UnderMaintenance, "under_maintenance")]
    [InlineData(ComponentStatus.MajorOutage, "major_outage")]
    public void Component_statuses_are_spelled_as_statuspage_spells_them(ComponentStatus status, string wire)
    {
        Assert.Equal(wire, status.ToWire());
        Assert.True(Wire.TryParse<ComponentStatus>(wire, out var parsed));
        Assert.Equal(status, parsed);
    }

    [Fact]
    public void Every_vocabulary_matches_the_contract()
    {
        // One field for both, as Statuspage has it: the incident statuses, then the maintenance statuses.
        Assert.Equal(["investigating", "identified", "monitoring", "resolved", "postmortem", "scheduled", "in_progress", "verifying", "completed"],
            Wire.Values<IncidentStatus>());
        Assert.Equal(["none", "minor", "major", "critical"], Wire.Values<Impact>());
        Assert.Equal(["email", "sms", "social", "chat", "webhook", "web"], Wire.Values<Channel>());
        Assert.Equal(["queued", "sent", "delivered", "failed", "bounced", "suppressed", "sandboxed"], Wire.Values<DeliveryStatus>());
        Assert.Equal(["pending", "confirmed", "unsubscribed", "suppressed"], Wire.Values<SubscriberStatus>());
    }

    [Theory]
    [InlineData("Investigating")]
    [InlineData("INVESTIGATING")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData(null)]
    public void Anything_but_the_exact_spelling_is_refused(string? text) =>
        Assert.False(Wire.TryParse<IncidentStatus>(text, out _));

    [Fact]
    public void The_field_error_lists_the_allowed_values() =>
        Assert.Equal("must be one of: none, minor, major, critical", Wire.OneOf<Impact>());
}
