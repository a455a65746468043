using System.Globalization;
using System.Text;
using CommsHub.Core.Common;
using CommsHub.Core.StatusPage;
using static CommsHub.Api.Website.PageTime;

namespace CommsHub.Api.Website;

/// <summary>
/// The status website's pages, rendered from <see cref="StatusData"/>: readable without
/// JavaScript, status always told in words and an icon (never colour alone), nothing loaded
/// from another host, no inline script (<see cref="LiveScript"/>). With JavaScript, the page follows
/// <c>/events</c> and swaps its content in place; without, it refreshes every minute.
/// </summary>
internal static class StatusPageHtml
{
    private const string Style = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#f6f7f9;--card:#fff;--line:#d0d7de;--accent:#1f6feb;
        --ok:#1a7f37;--minor:#9a6700;--major:#bc4c00;--critical:#cf222e;--maint:#0969da}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#4493f8;
        --ok:#3fb950;--minor:#d29922;--major:#db6d28;--critical:#f85149;--maint:#58a6ff}}
        *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
        header,main,footer{max-width:860px;margin:0 auto;padding:16px}header{display:flex;justify-content:space-between;align-items:center;gap:12px;flex-wrap:wrap}
        header a.home{color:var(--fg);text-decoration:none;font-weight:700;font-size:1.25rem;display:flex;align-items:center;gap:8px}header img{max-height:36px}
        a{color:var(--accent)}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 16px}
        .banner{font-size:1.2rem;font-weight:600;display:flex;gap:10px;align-items:center}.banner.none{border-left:6px solid var(--ok)}
        .banner.minor{border-left:6px solid var(--minor)}.banner.major{border-left:6px solid var(--major)}.banner.critical{border-left:6px solid var(--critical)}
        .banner.maintenance{border-left:6px solid var(--maint)}.banner p{margin:4px 0 0;font-size:1rem;font-weight:400}h1{font-size:1.5rem;margin:0 0 8px}h2{font-size:1.15rem;margin:0 0 8px}h3{font-size:1rem;margin:0}
        .muted{color:var(--muted);font-size:.9rem}.row{display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap;align-items:baseline}
        .st-operational{color:var(--ok)}.st-degraded_performance{color:var(--minor)}.st-partial_outage{color:var(--major)}.st-major_outage{color:var(--critical)}.st-under_maintenance{color:var(--maint)}
        .component{padding:10px 0;border-top:1px solid var(--line)}.component:first-of-type{border-top:0}
        .bars{display:flex;gap:1px;height:28px;margin:6px 0 2px}.bars span{flex:1;border-radius:1px;background:var(--ok)}
        .bars .d-minor{background:var(--minor)}.bars .d-major{background:var(--major)}.bars .d-critical{background:var(--critical)}.bars .d-maint{background:var(--maint)}.bars .d-none{background:var(--line)}
        .update{border-top:1px solid var(--line);padding:10px 0}.update:first-of-type{border-top:0}.update p{margin:4px 0;white-space:pre-wrap}
        form label{display:block;margin:8px 0 2px;font-weight:600}form input[type=email],form input[type=tel],form input[type=url]{width:100%;padding:8px;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}
        fieldset{border:1px solid var(--line);border-radius:6px;margin:12px 0;padding:8px 12px}button{font:inherit;padding:10px 18px;border-radius:6px;border:0;background:var(--accent);color:#fff;font-weight:600;cursor:pointer;margin-top:12px}
        footer{color:var(--muted);font-size:.9rem}footer a{color:var(--muted)}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        .card{overflow-wrap:anywhere}.postmortem pre{overflow-x:auto;background:var(--bg);padding:8px;border-radius:6px}.postmortem table{border-collapse:collapse}
        .postmortem th,.postmortem td{border:1px solid var(--line);padding:4px 8px}.postmortem blockquote{margin:8px 0;padding-left:12px;border-left:3px solid var(--line)}
        """;

    /// <param name="captcha">A configured CAPTCHA: its widget goes in the subscribe form.</param>
    public static string Home(StatusData data, TimeZoneInfo zone, CommsHub.Core.Subscribers.CaptchaOptions? captcha = null)
    {
        var body = new StringBuilder();
        var i = data.Indicator;
        body.Append($"<section class=\"card banner {i.Indicator}\" aria-live=\"polite\"><span aria-hidden=\"true\">{IndicatorIcon(i.Indicator)}</span><span>{E(i.Description)}</span></section>");
        body.Append(MaintenanceHtml.ActiveBanners(data, zone));

        var open = data.Unresolved.ToList();
        if (open.Count > 0)
        {
            body.Append("<section aria-labelledby=\"active\"><h2 id=\"active\">Active incidents</h2>");
            foreach (var incident in open)
            {
                var latest = incident.Updates.Count > 0 ? incident.Updates[0] : null;
                body.Append($"<article class=\"card\"><div class=\"row\"><h3><a href=\"/incidents/{incident.Id}\">{E(incident.Title)}</a></h3>")
                    .Append($"<span class=\"muted\">{ImpactText(incident.Impact)}</span></div>");
                if (latest is not null)
                {
                    body.Append($"<p><strong>{E(Labels.Of(latest.Status))}</strong> — {E(latest.Body)}</p>")
                        .Append($"<p class=\"muted\">Updated {Time(latest.CreatedAt, zone)} · since {Time(incident.CreatedAt, zone)}</p>");
                }
                body.Append("</article>");
            }
            body.Append("</section>");
        }
        body.Append(MaintenanceHtml.Upcoming(data, zone));

        body.Append("<section class=\"card\" aria-labelledby=\"components\"><h2 id=\"components\">Components</h2>");
        if (data.Components.Count == 0)
        {
            body.Append("<p class=\"muted\">No components yet.</p>");
        }
        foreach (var group in data.Components.GroupBy(c => c.Group ?? ""))
        {
            if (group.Key.Length > 0)
            {
                body.Append($"<h3 style=\"margin-top:12px\">{E(group.Key)}</h3>");
            }
            foreach (var c in group)
            {
                body.Append(ComponentRow(c));
            }
        }
        body.Append("</section>");

        body.Append(SubscribeForm(data, captcha));
        return Layout(data, data.Page.Name, body.ToString());
    }

    /// <param name="maintenance">Set when the page is a maintenance's: its window replaces an incident's impact and duration.</param>
    public static string Incident(StatusData data, IncidentData incident, TimeZoneInfo zone, MaintenanceData? maintenance = null)
    {
        var body = new StringBuilder();
        body.Append($"<article class=\"card\"><h1>{E(incident.Title)}</h1>");
        if (maintenance is not null)
        {
            body.Append(MaintenanceHtml.Summary(maintenance, zone));
        }
        else
        {
            body.Append($"<p><strong>{E(Labels.Of(incident.Status))}</strong> · {ImpactText(incident.Impact)}</p>")
                .Append($"<p class=\"muted\">Started {Time(incident.CreatedAt, zone)}")
                .Append(incident.ResolvedAt is { } resolved ? $" · resolved {Time(resolved, zone)} (after {Duration(resolved - incident.CreatedAt)})" : "")
                .Append(incident.EditedAt is { } edited ? $" · <span class=\"edited\">edited <time datetime=\"{Iso(edited)}\">{Time(edited, zone)}</time></span>" : "")
                .Append("</p>");
        }
        if (incident.Components.Count > 0)
        {
            body.Append("<p>Affected: ").Append(string.Join(", ", incident.Components.Select(c => E(c.Name)))).Append("</p>");
        }
        body.Append("</article>");
        if (incident.Postmortem is { } postmortem)
        {
            // Html is Markdig's output sanitised against an allow-list (PostmortemMarkdown): it goes on the page as it is.
            body.Append("<section class=\"card postmortem\" id=\"postmortem\" aria-labelledby=\"postmortem-title\"><h2 id=\"postmortem-title\">Postmortem</h2>")
                .Append(postmortem.Html)
                .Append($"<p class=\"muted\">Published <time datetime=\"{Iso(postmortem.PublishedAt)}\">{Time(postmortem.PublishedAt, zone)}</time>")
                .Append(postmortem.UpdatedAt > postmortem.PublishedAt
                    ? $" · <span class=\"edited\">updated <time datetime=\"{Iso(postmortem.UpdatedAt)}\">{Time(postmortem.UpdatedAt, zone)}</time></span>"
                    : "")
                .Append("</p></section>");
        }
        body.Append("<section class=\"card\" aria-labelledby=\"timeline\"><h2 id=\"timeline\">Updates</h2>");
        foreach (var u in incident.Updates)
        {
            body.Append($"<div class=\"update\"><h3>{E(Labels.Of(u.Status))}</h3><p>{E(u.Body)}</p>");
            if (u.AffectedComponents.Count > 0)
            {
                body.Append("<p class=\"muted\">").Append(string.Join("; ", u.AffectedComponents.Select(c =>
                    $"{E(c.Name)}: {E(Labels.Of(c.OldStatus))} → {E(Labels.Of(c.NewStatus))}"))).Append("</p>");
            }
            body.Append($"<p class=\"muted\"><time datetime=\"{Iso(u.CreatedAt)}\">{Time(u.CreatedAt, zone)}</time>")
                .Append(u.EditedAt is { } edited ? $" · <span class=\"edited\">edited <time datetime=\"{Iso(edited)}\">{Time(edited, zone)}</time></span>" : "")
                .Append("</p></div>");
        }
        body.Append("</section><p><a href=\"/\">← Current status</a> · <a href=\"/history\">Incident history</a></p>");
        return Layout(data, incident.Title, body.ToString());
    }

    public static string History(StatusData data, TimeZoneInfo zone)
    {
        var body = new StringBuilder("<h1>Incident history</h1>");
        if (data.Incidents.Count == 0)
        {
            body.Append("<p class=\"card\">No incidents reported.</p>");
        }
        foreach (var month in data.Incidents.GroupBy(i => Local(i.CreatedAt, zone).ToString("MMMM yyyy", CultureInfo.InvariantCulture)))
        {
            body.Append($"<section class=\"card\"><h2>{E(month.Key)}</h2>");
            foreach (var incident in month)
            {
                body.Append($"<div class=\"update\"><h3><a href=\"/incidents/{incident.Id}\">{E(incident.Title)}</a></h3>")
                    .Append($"<p class=\"muted\">{E(Labels.Of(incident.Status))} · {ImpactText(incident.Impact)} · {Time(incident.CreatedAt, zone)}")
                    .Append(incident.ResolvedAt is { } r ? $" – {Time(r, zone)}" : "")
                    .Append("</p></div>");
            }
            body.Append("</section>");
        }
        body.Append("<p><a href=\"/\">← Current status</a></p>");
        return Layout(data, "Incident history", body.ToString());
    }

    private static string ComponentRow(ComponentData c)
    {
        var s = new StringBuilder($"<div class=\"component\"><div class=\"row\"><span>{E(c.Name)}</span>")
            .Append($"<span class=\"st-{c.Status.ToWire()}\"><span aria-hidden=\"true\">{StatusIcon(c.Status)}</span> {E(Labels.Of(c.Status))}</span></div>");
        if (c.Description is { Length: > 0 } d)
        {
            s.Append($"<div class=\"muted\">{E(d)}</div>");
        }
        if (c.Uptime.Count > 0)
        {
            var uptime = c.Uptime.Average(u => u.Operational) * 100;
            s.Append($"<div class=\"bars\" role=\"img\" aria-label=\"{E(c.Name)}: {uptime:0.00}% uptime over the last {c.Uptime.Count} days\">");
            // Always 90 slots: the days before the component existed are shown as "no data", not stretched away.
            for (var i = c.Uptime.Count; i < StatusPageOptions.UptimeDays; i++)
            {
                s.Append("<span class=\"d-none\" title=\"No data\"></span>");
            }
            foreach (var day in c.Uptime)
            {
                var label = $"{day.Day:d MMM yyyy}: {day.Operational * 100:0.##}% up{(day.Worst == ComponentStatus.Operational ? "" : " — " + Labels.Of(day.Worst))}";
                s.Append($"<span class=\"{DayClass(day)}\" title=\"{E(label)}\"></span>");
            }
            s.Append($"</div><div class=\"row muted\"><span>{StatusPageOptions.UptimeDays} days ago</span><span>{uptime:0.00}% uptime</span><span>Today</span></div>");
        }
        return s.Append("</div>").ToString();
    }

    private static string SubscribeForm(StatusData data, CommsHub.Core.Subscribers.CaptchaOptions? captcha)
    {
        var s = new StringBuilder("<section class=\"card\" aria-labelledby=\"subscribe\"><h2 id=\"subscribe\">Get updates</h2>")
            .Append("<form method=\"post\" action=\"/subscribe\"><p class=\"muted\">Fill in one of these. We ask you to confirm before we send anything else.</p>")
            .Append("<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\">")
            .Append("<label for=\"phone\">Phone (text messages)</label><input id=\"phone\" name=\"phone\" type=\"tel\" autocomplete=\"tel\">")
            .Append("<label for=\"webhookUrl\">Webhook URL</label><input id=\"webhookUrl\" name=\"webhookUrl\" type=\"url\" placeholder=\"https://\">");
        if (data.Components.Count > 0)
        {
            s.Append("<fieldset><legend>Only these components (none ticked: everything)</legend>");
            foreach (var c in data.Components)
            {
                s.Append($"<div><input type=\"checkbox\" id=\"c-{c.Id}\" name=\"components\" value=\"{c.Id}\"> <label style=\"display:inline;font-weight:400\" for=\"c-{c.Id}\">{E(c.Name)}</label></div>");
            }
            s.Append("</fieldset>");
        }
        if (captcha is { Enabled: true })
        {
            // The provider's widget posts its token in the form field the server checks (cf-turnstile-response, h-captcha-response).
            var widget = captcha.Kind == CommsHub.Core.Subscribers.CaptchaOptions.HCaptcha ? "h-captcha" : "cf-turnstile";
            s.Append($"<div class=\"{widget}\" data-sitekey=\"{E(captcha.SiteKey)}\"></div><script src=\"{E(captcha.ScriptUrl)}\" async defer></script>");
        }
        return s.Append("<button type=\"submit\">Subscribe</button></form></section>").ToString();
    }

    public static string NotFound(StatusData data) => Layout(data, "Incident not found",
        "<article class=\"card\"><h1>Incident not found</h1><p>This incident is not on the status page: it may have been withdrawn as published in error.</p>"
        + "<p><a href=\"/\">← Current status</a> · <a href=\"/history\">Incident history</a></p></article>");

    public static string Layout(StatusData data, string title, string main) =>
        new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
            .Append($"<title>{E(title == data.Page.Name ? title : $"{title} · {data.Page.Name}")}</title>")
            .Append("<noscript><meta http-equiv=\"refresh\" content=\"60\"></noscript>")
            .Append("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Incident history (Atom)\" href=\"/history.atom\">")
            .Append("<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Incident history (RSS)\" href=\"/history.rss\">")
            .Append($"<style>{Style}</style></head><body>")
            .Append("<header><a class=\"home\" href=\"/\">")
            .Append(data.Page.LogoUrl is { Length: > 0 } logo ? $"<img src=\"{E(logo)}\" alt=\"\">" : "")
            .Append($"{E(data.Page.Name)}</a><a href=\"#subscribe\">Subscribe to updates</a></header>")
            .Append($"<main>{main}</main>")
            .Append("<footer><a href=\"/history\">Incident history</a> · <a href=\"/history.atom\">Atom</a> · <a href=\"/history.rss\">RSS</a> · ")
            .Append("<a href=\"/maintenances.ics\">Maintenance calendar</a> · <a href=\"/api/v2/summary.json\">API</a>")
            .Append($"<br>Times in {E(data.Page.TimeZone)}. Last change <time datetime=\"{Iso(data.Page.UpdatedAt)}\">{Time(data.Page.UpdatedAt, TimeZoneInfo.FindSystemTimeZoneById(data.Page.TimeZone))}</time>.</footer>")
            .Append($"<script src=\"{LiveScript.Src}\"></script></body></html>")
            .ToString();

    // Cleaned first: the encoder would write a control character as a reference (&#x1B;), which HTML parsers reject too.
    internal static string E(string text) => SitePage.Encode(PublicText.Clean(text));

    private static string ImpactText(Impact impact) => impact == Impact.None ? "No impact" : $"{Labels.Of(impact)} impact";

    private static string IndicatorIcon(string indicator) => indicator switch
    {
        "none" => "✅",
        "minor" => "⚠️",
        "maintenance" => "🔧",
        _ => "⛔",
    };

    private static string StatusIcon(ComponentStatus s) => s switch
    {
        ComponentStatus.Operational => "✔",
        ComponentStatus.DegradedPerformance => "▲",
        ComponentStatus.PartialOutage => "◆",
        ComponentStatus.MajorOutage => "✖",
        _ => "🔧",
    };

    private static string DayClass(DayUptime day) => day.Worst switch
    {
        ComponentStatus.MajorOutage => "d-critical",
        ComponentStatus.PartialOutage => "d-major",
        ComponentStatus.DegradedPerformance => "d-minor",
        ComponentStatus.UnderMaintenance => "d-maint",
        _ => "d-ok",
    };
}
