using System.Globalization;
using System.Text.Encodings.Web;
using CommsHub.Core.Common;
using CommsHub.Core.Channels;
using Fluid;
using CommsHub.Core.Incidents;

namespace CommsHub.Core.Channels.Email;

public sealed record RenderedEmail(string Subject, string Text, string Html)
{
    /// <summary>
    /// The key of the one request that carries it (<see cref="EmailBatchKey"/>), sent as a <c>custom_args</c>
    /// of the whole message, so SendGrid's Email Activity can say after a crash whether that request was accepted.
    /// </summary>
    public string? BatchKey { get; init; }
}

/// <summary>Renders an update as an email from the Liquid templates embedded beside this class.</summary>
public sealed class EmailRenderer
{
    private static readonly FluidParser Parser = new();
    private static readonly IFluidTemplate SubjectTemplate = Load("update.subject.liquid");
    private static readonly IFluidTemplate TextTemplate = Load("update.text.liquid");
    private static readonly IFluidTemplate HtmlTemplate = Load("update.html.liquid");
    private static readonly IFluidTemplate ConfirmSubjectTemplate = Load("confirm.subject.liquid");
    private static readonly IFluidTemplate ConfirmTextTemplate = Load("confirm.text.liquid");
    private static readonly IFluidTemplate ConfirmHtmlTemplate = Load("confirm.html.liquid");
    private static readonly TemplateOptions Options = CreateOptions();

    /// <summary>The double opt-in email: a link that confirms, and nothing else.</summary>
    public static RenderedEmail RenderConfirmation(string pageName, string confirmUrl, DateTimeOffset expiresAt, IReadOnlyList<string> componentNames)
    {
        var model = new Dictionary<string, object?>
        {
            ["page_name"] = pageName,
            ["confirm_url"] = confirmUrl,
            ["expires_at"] = expiresAt.UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["components"] = componentNames.ToList(),
        };
        var context = new TemplateContext(model, Options);
        return new RenderedEmail(
            ConfirmSubjectTemplate.Render(context, NullEncoder.Default).Trim(),
            ConfirmTextTemplate.Render(context, NullEncoder.Default),
            ConfirmHtmlTemplate.Render(context, HtmlEncoder.Default));
    }

    public static RenderedEmail Render(UpdateContent content)
    {
        var model = new Dictionary<string, object?>
        {
            ["page_name"] = content.PageName,
            ["page_url"] = content.PageUrl,
            ["incident_title"] = content.IncidentTitle,
            ["incident_url"] = content.IncidentUrl,
            ["status_label"] = Labels.Of(content.Status),
            ["impact_label"] = content.Impact == Impact.None ? "" : Labels.Of(content.Impact),
            ["message"] = content.Message,
            ["posted_at"] = content.PostedAt.UtcDateTime.ToString("d MMM yyyy, HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["components"] = content.Components
                .Select(c => new Dictionary<string, object?> { ["name"] = c.Name, ["status_label"] = Labels.Of(c.Status) })
                .ToList(),
        };
        var context = new TemplateContext(model, Options);
        var subject = SubjectTemplate.Render(context, NullEncoder.Default).Trim();
        var text = TextTemplate.Render(context, NullEncoder.Default);
        var html = HtmlTemplate.Render(context, HtmlEncoder.Default);
        return new RenderedEmail(subject, text, html);
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions();
        options.MemberAccessStrategy.Register<Dictionary<string, object?>, object?>((d, name) => d.TryGetValue(name, out var v) ? v : null);
        return options;
    }

    private static IFluidTemplate Load(string name)
    {
        var assembly = typeof(EmailRenderer).Assembly;
        using var stream = assembly.GetManifestResourceStream($"CommsHub.Core.Channels.Email.Templates.{name}")
            ?? throw new InvalidOperationException($"Email template {name} is not embedded.");
        using var reader = new StreamReader(stream);
        var source = reader.ReadToEnd();
        return Parser.TryParse(source, out var template, out var error)
            ? template
            : throw new InvalidOperationException($"Email template {name} does not parse: {error}");
    }
}
