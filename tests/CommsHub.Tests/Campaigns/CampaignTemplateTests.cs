using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;

namespace CommsHub.Tests.Campaigns;

/// <summary>
/// A template of text and plain fields is rendered once and joined with each recipient's values; whatever it renders
/// must be exactly what Liquid renders for that recipient, and anything else must go through Liquid.
/// </summary>
public sealed class CampaignTemplateTests
{
    private static readonly CampaignRecipient[] Recipients =
    [
        new("c1", "Ada Lovelace", "en", "FW-0000001"),
        new("c2", null, null, null),
        new("c3", "  padded  ", "de-CH", "FW-2"),
        new("c4", "Tom & <Jerry>\n\nsecond paragraph", "fr", "A\nB"),
        new("c5", "{{ code }} %personal_text%", "en", "{{ name }}"),
    ];

    [Theory]
    [InlineData("Sorry, {{ name }}", "Hello {{ name }}, here is your code: {{ code }}.\n\nThanks.")]
    [InlineData("{{ incident.title }}: {{ name }}", "{{ name }}{{ code }}{{ locale }}{{ external_id }}{{ incident.title }}{{ unknown }}")]
    [InlineData("{{ code }}", "{{ code }}")]
    [InlineData("  {{- name -}}  ", "a\n  {{- code }}  \n\n {{ name -}}\n end")]
    [InlineData("No fields", "No fields at all")]
    public void Text_and_plain_fields_render_once_and_equal_liquid(string title, string message)
    {
        var template = CampaignTemplate.Parse(title, message, "API outage <EU>", new FieldErrors());

        Assert.True(template.RendersOnce);
        foreach (var recipient in Recipients)
        {
            Assert.Equal(template.RenderWithLiquid(recipient), template.Render(recipient));
        }
    }

    [Theory]
    [InlineData("{{ name | upcase }}", "x")]
    [InlineData("x", "{% if name == blank %}friend{% else %}{{ name }}{% endif %}")]
    [InlineData("x", "{{ name.size }} letters")]
    [InlineData("x", "{% for c in code %}{{ c }}{% endfor %}")]
    [InlineData("x", "{% assign n = name %}{{ n }}")]
    public void Anything_else_goes_through_liquid_for_each_recipient(string title, string message)
    {
        var template = CampaignTemplate.Parse(title, message, "API outage", new FieldErrors());

        Assert.False(template.RendersOnce);
        foreach (var recipient in Recipients)
        {
            Assert.Equal(template.RenderWithLiquid(recipient), template.Render(recipient));
        }
    }

    [Fact]
    public void A_nul_in_the_incident_title_is_not_taken_for_a_field()
    {
        var template = CampaignTemplate.Parse("{{ incident.title }}", "{{ incident.title }} {{ name }}", "a\00\0b", new FieldErrors());

        Assert.False(template.RendersOnce);
        Assert.Equal("a\00\0b Ada Lovelace", template.Render(Recipients[0]).Text);
    }
}
