using System.Text.Encodings.Web;
using CommsHub.Core.Common;
using Fluid;

namespace CommsHub.Core.Campaigns;

/// <summary>What a campaign's Liquid sees for one recipient.</summary>
public sealed record CampaignRecipient(string ExternalId, string? Name, string? Locale, string? Code);

/// <summary>
/// A campaign's title and message as Liquid templates (<c>{{ name }}</c>, <c>{{ code }}</c>, <c>{{ locale }}</c>,
/// <c>{{ external_id }}</c>, <c>{{ incident.title }}</c>), parsed once and rendered per recipient. Values are inserted
/// as they are into the text; the HTML part encodes them.
/// </summary>
public sealed class CampaignTemplate
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = new() { MemberAccessStrategy = new UnsafeMemberAccessStrategy() };
    private readonly IFluidTemplate _title;
    private readonly IFluidTemplate _message;
    private readonly string? _incidentTitle;

    private CampaignTemplate(IFluidTemplate title, IFluidTemplate message, string? incidentTitle)
    {
        _title = title;
        _message = message;
        _incidentTitle = incidentTitle;
    }

    /// <summary>Parses both templates; a syntax error is a field error naming the template.</summary>
    public static CampaignTemplate Parse(string title, string message, string? incidentTitle, FieldErrors errors)
    {
        if (!Parser.TryParse(title, out var t, out var titleError))
        {
            errors.Add("title", "not a valid Liquid template: " + titleError);
        }
        if (!Parser.TryParse(message, out var m, out var messageError))
        {
            errors.Add("message", "not a valid Liquid template: " + messageError);
        }
        return new CampaignTemplate(t ?? Parser.Parse(""), m ?? Parser.Parse(""), incidentTitle);
    }

    public Deliveries.MessageContent Render(CampaignRecipient recipient)
    {
        var context = new TemplateContext(Options);
        context.SetValue("name", recipient.Name ?? "");
        context.SetValue("code", recipient.Code ?? "");
        context.SetValue("locale", recipient.Locale ?? "");
        context.SetValue("external_id", recipient.ExternalId);
        context.SetValue("incident", new Dictionary<string, object?> { ["title"] = _incidentTitle ?? "" });
        var subject = _title.Render(context, NullEncoder.Default).Trim();
        var text = _message.Render(context, NullEncoder.Default).Trim();
        var html = string.Concat(text.Split("\n\n").Select(p => "<p>" + HtmlEncoder.Default.Encode(p).Replace("&#xA;", "<br>", StringComparison.Ordinal) + "</p>"));
        return new Deliveries.MessageContent(subject, text, html);
    }
}
