using CommsHub.Testing;
using CommsHub.Tests.Scheduling;

namespace CommsHub.Tests.Auth;

/// <summary>Expiry is judged by the product's clock on every request, not at the next refresh.</summary>
public sealed class KeyExpiryTests : FakeClockAppTest
{
    [Fact]
    public async Task A_key_works_until_its_expiry_and_is_refused_from_then_on()
    {
        using var temp = App.WithKey(await Admin.CreateKeyAsync("contractor", ["read"], T0.AddHours(1)));
        Assert.Equal(200, await temp.StatusAsync("/api/incidents"));

        AdvanceTo(T0.AddMinutes(59));
        Assert.Equal(200, await temp.StatusAsync("/api/incidents"));
        AdvanceTo(T0.AddHours(1));
        Assert.Equal(401, await temp.StatusAsync("/api/incidents"));
        Assert.Equal(401, await temp.StatusAsync("/api/components"));

        // Still listed, with its expiry, for whoever wonders why it stopped.
        var listed = (await Admin.GetJsonAsync("/api/keys")).AsArray().Single(k => k!["name"]!.GetValue<string>() == "contractor")!;
        Assert.Equal(T0.AddHours(1), listed["expiresAt"]!.GetValue<DateTimeOffset>());
    }
}
