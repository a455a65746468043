using System.Text;
using System.Text.Encodings.Web;
using CommsHub.Core.Common;
using Fluid;
using Fluid.Ast;
using Fluid.Parser;

namespace CommsHub.Core.Campaigns;

/// <summary>What a campaign's Liquid sees for one recipient.</summary>
public sealed record CampaignRecipient(string ExternalId, string? Name, string? Locale, string? Code);

/// <summary>
/// A campaign's title and message as Liquid templates (<c>{{ name }}</c>, <c>{{ code }}</c>, <c>{{ locale }}</c>,
/// <c>{{ external_id }}</c>, <c>{{ incident.title }}</c>), parsed once and rendered per recipient. Values are inserted
/// as they are into the text; the HTML part encodes them.
/// </summary>
/// <remarks>
/// A campaign renders this once per recipient, a million times for a million customers. When a template only writes
/// text and plain <c>{{ field }}</c> outputs (no filter, tag or condition touches a personal field), what Liquid
/// produces is the same text with each recipient's values in the same places: the template is then rendered once,
/// with markers for the personal fields, and each recipient's message is those pieces joined with their values
/// (<see cref="Pieces"/>). Any other template goes through Liquid for every recipient, as before.
/// </remarks>
public sealed class CampaignTemplate
{
    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions Options = new() { MemberAccessStrategy = new UnsafeMemberAccessStrategy() };
    private readonly IFluidTemplate _title;
    private readonly IFluidTemplate _message;
    private readonly string? _incidentTitle;
    private readonly Pieces? _titlePieces;
    private readonly Pieces? _messagePieces;

    private CampaignTemplate(IFluidTemplate title, IFluidTemplate message, string? incidentTitle)
    {
        _title = title;
        _message = message;
        _incidentTitle = incidentTitle;
        _titlePieces = Pieces.Of(title, incidentTitle);
        _messagePieces = _titlePieces is null ? null : Pieces.Of(message, incidentTitle);
    }

    /// <summary>Whether recipients' messages are joined from pieces rendered once (true) or each rendered by Liquid.</summary>
    public bool RendersOnce => _messagePieces is not null;

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
        if (_titlePieces is { } title && _messagePieces is { } message)
        {
            return Content(title.Join(recipient).Trim(), message.Join(recipient).Trim());
        }
        return RenderWithLiquid(recipient);
    }

    /// <summary>Every recipient through Liquid: what <see cref="Render"/> must always equal.</summary>
    internal Deliveries.MessageContent RenderWithLiquid(CampaignRecipient recipient)
    {
        var context = Context(recipient.Name ?? "", recipient.Code ?? "", recipient.Locale ?? "", recipient.ExternalId, _incidentTitle);
        return Content(_title.Render(context, NullEncoder.Default).Trim(), _message.Render(context, NullEncoder.Default).Trim());
    }

    private static Deliveries.MessageContent Content(string subject, string text)
    {
        var html = string.Concat(text.Split("\n\n").Select(p => "<p>" + HtmlEncoder.Default.Encode(p).Replace("&#xA;", "<br>", StringComparison.Ordinal) + "</p>"));
        return new Deliveries.MessageContent(subject, text, html);
    }

    private static TemplateContext Context(string name, string code, string locale, string externalId, string? incidentTitle)
    {
        var context = new TemplateContext(Options);
        context.SetValue("name", name);
        context.SetValue("code", code);
        context.SetValue("locale", locale);
        context.SetValue("external_id", externalId);
        context.SetValue("incident", new Dictionary<string, object?> { ["title"] = incidentTitle ?? "" });
        return context;
    }

    /// <summary>
    /// A template's output as literal text and the personal fields between it, found by rendering the template once
    /// with a marker for each field (a NUL, which no parsed template's text contains, and the field's number).
    /// </summary>
    private sealed class Pieces
    {
        private const char Marker = '\0';
        private readonly string[] _texts;   // _texts[i] is written before _fields[i]; the last one after the last field
        private readonly int[] _fields;     // 0 name, 1 code, 2 locale, 3 external_id

        private Pieces(string[] texts, int[] fields)
        {
            _texts = texts;
            _fields = fields;
        }

        /// <returns>Null when Liquid must render each recipient: something other than text and plain outputs, a personal
        /// field read with a filter or a member access, or a NUL in the template.</returns>
        public static Pieces? Of(IFluidTemplate template, string? incidentTitle)
        {
            if (template is not FluidTemplate { Statements: var statements } || !statements.All(Plain))
            {
                return null;
            }
            var rendered = template.Render(Context("\0" + "0\0", "\0" + "1\0", "\0" + "2\0", "\0" + "3\0", incidentTitle), NullEncoder.Default);
            // The incident's title is the same for everyone: a NUL in it would be taken for a marker.
            if ((incidentTitle ?? "").Contains(Marker, StringComparison.Ordinal))
            {
                return null;
            }
            var parts = rendered.Split(Marker);
            // text, field number, text, field number, ..., text: an odd count, each number one digit of 0-3.
            if (parts.Length % 2 == 0)
            {
                return null;
            }
            var texts = new string[parts.Length / 2 + 1];
            var fields = new int[parts.Length / 2];
            for (var i = 0; i < parts.Length; i++)
            {
                if (i % 2 == 0)
                {
                    texts[i / 2] = parts[i];
                }
                else if (parts[i] is [>= '0' and <= '3'] digit)
                {
                    fields[i / 2] = digit[0] - '0';
                }
                else
                {
                    return null;
                }
            }
            return new Pieces(texts, fields);
        }

        private static bool Plain(Statement statement) => statement switch
        {
            TextSpanStatement text => !text.Text.ToString().Contains(Marker, StringComparison.Ordinal),
            // A personal field written as it is ({{ name }}); any other member ({{ incident.title }}, an unknown name)
            // cannot read a personal value and renders the same for everyone.
            OutputStatement { Expression: MemberExpression { Segments: [IdentifierSegment first, ..] segments } } =>
                segments.Count == 1 || !Personal.Contains(first.Identifier),
            _ => false,
        };

        private static readonly HashSet<string> Personal = ["name", "code", "locale", "external_id"];

        public string Join(CampaignRecipient recipient)
        {
            var length = 0;
            foreach (var text in _texts)
            {
                length += text.Length;
            }
            var builder = new StringBuilder(length + 64 * _fields.Length);
            for (var i = 0; i < _fields.Length; i++)
            {
                builder.Append(_texts[i]).Append(_fields[i] switch
                {
                    0 => recipient.Name ?? "",
                    1 => recipient.Code ?? "",
                    2 => recipient.Locale ?? "",
                    _ => recipient.ExternalId,
                });
            }
            return builder.Append(_texts[^1]).ToString();
        }
    }
}
