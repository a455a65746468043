using CommsHub.Core.Auth;
using CommsHub.Core.Auth.Operators;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace CommsHub.Tests.Auth;

public sealed class OperatorTokenTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
    private readonly OperatorTokens _tokens;
    private readonly Operator _ana = new() { Id = Guid.NewGuid(), Email = "ana@example.com", Name = "Ana", Role = OperatorRoles.Viewer, SecurityStamp = "S1" };

    public OperatorTokenTests() => _tokens = new OperatorTokens(new EphemeralDataProtectionProvider(), _clock);

    [Fact]
    public void A_token_names_its_operator_and_stamp_until_it_expires()
    {
        var token = _tokens.Issue(_ana, OperatorTokenPurpose.Reset, TimeSpan.FromHours(1));
        Assert.Equal((_ana.Id, "S1"), _tokens.Read(token, OperatorTokenPurpose.Reset));
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(_tokens.Read(token, OperatorTokenPurpose.Reset));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(_tokens.Read(token, OperatorTokenPurpose.Reset));
    }

    [Fact]
    public void A_token_is_good_for_its_own_purpose_only_and_cannot_be_altered()
    {
        var invitation = _tokens.Issue(_ana, OperatorTokenPurpose.Invitation, TimeSpan.FromDays(7));
        Assert.Null(_tokens.Read(invitation, OperatorTokenPurpose.Reset));
        Assert.Null(_tokens.Read(invitation, OperatorTokenPurpose.TwoFactor));
        Assert.Null(_tokens.Read(invitation[..^2] + (invitation[^2] == 'A' ? "B" : "A") + invitation[^1], OperatorTokenPurpose.Invitation));
        Assert.Null(_tokens.Read("", OperatorTokenPurpose.Invitation));
        Assert.Null(_tokens.Read(new string('a', 5000), OperatorTokenPurpose.Invitation));
    }
}
