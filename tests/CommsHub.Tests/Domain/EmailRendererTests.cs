using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Common;
using CommsHub.Core.Incidents;

namespace CommsHub.Tests.Domain;

public sealed class EmailRendererTests
{
    private static UpdateContent Content(string message = "Playback fails for some viewers. We are on it.") => new(
        "Acme Status", "https://status.acme.example/", Guid.Parse("01930000-0000-7000-8000-000000000001"),
        "Video playback outage", "https://status.acme.example/incidents/01930000-0000-7000-8000-000000000001",
        IncidentStatus.Identified, Impact.Major, message, new DateTimeOffset(2026, 11, 27, 21, 5, 0, TimeSpan.Zero),
        [("Streaming", ComponentStatus.MajorOutage), ("Sign-in", ComponentStatus.DegradedPerformance)]);

    [Fact]
    public void The_subject_names_the_page_the_incident_and_its_status()
    {
        var email = EmailRenderer.Render(Content());
        Assert.Equal("[Acme Status] Video playback outage — Identified", email.Subject);
    }

    [Fact]
    public void The_text_part_carries_the_message_the_components_and_the_link()
    {
        var text = EmailRenderer.Render(Content()).Text;
        Assert.Contains("Playback fails for some viewers. We are on it.", text);
        Assert.Contains("Identified · Major impact", text);
        Assert.Contains("- Streaming: Major outage", text);
        Assert.Contains("- Sign-in: Degraded performance", text);
        Assert.Contains("27 Nov 2026, 21:05 UTC", text);
        Assert.Contains("https://status.acme.example/incidents/01930000-0000-7000-8000-000000000001", text);
        Assert.DoesNotContain("<", text);
    }

    [Fact]
    public void The_html_part_escapes_what_operators_typed()
    {
        var html = EmailRenderer.Render(Content("Use <b>retry</b> & wait")).Html;
        Assert.Contains("Use &lt;b&gt;retry&lt;/b&gt; &amp; wait", html);
        Assert.DoesNotContain("<b>retry</b>", html);
        Assert.Contains("href=\"https://status.acme.example/incidents/01930000-0000-7000-8000-000000000001\"", html);
        Assert.Contains("<li>Streaming: Major outage</li>", html);
    }

    [Fact]
    public void An_incident_without_impact_or_components_says_neither()
    {
        var content = Content() with { Impact = Impact.None, Components = [] };
        var email = EmailRenderer.Render(content);
        Assert.DoesNotContain("impact", email.Text);
        Assert.DoesNotContain("Affected components", email.Text);
        Assert.DoesNotContain("Affected components", email.Html);
    }
}
