using System.Text.Json;

namespace CommsHub.Api.Website;

/// <summary>
/// <c>&lt;script src="https://status.example.com/embed.js" async&gt;&lt;/script&gt;</c> on a company's own
/// site shows a small banner while an incident or maintenance is active, linking to the status
/// page. It reads the (CORS-open, cached) summary.json and adds nothing when all is well.
/// </summary>
internal static class EmbedScript
{
    public static string For(string origin) => $$"""
        (function () {
          var origin = {{JsonSerializer.Serialize(origin)}};
          function show(summary) {
            var incidents = summary.incidents || [], maintenances = summary.scheduled_maintenances || [];
            var active = maintenances.filter(function (m) { return m.status === 'in_progress' || m.status === 'verifying'; });
            var item = incidents[0] || active[0];
            if (!item) return;
            var banner = document.createElement('a');
            banner.href = item.shortlink || origin;
            banner.setAttribute('role', 'status');
            banner.setAttribute('data-commshub-banner', '');
            banner.style.cssText = 'display:block;position:fixed;left:16px;right:16px;bottom:16px;z-index:2147483647;max-width:560px;margin:0 auto;' +
              'padding:12px 16px;border-radius:8px;background:#1f2328;color:#fff;font:15px/1.4 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;' +
              'text-decoration:none;box-shadow:0 4px 16px rgba(0,0,0,.3)';
            var kind = incidents[0] ? (item.impact === 'none' ? 'Notice' : 'Incident') : 'Maintenance';
            var text = document.createElement('strong');
            text.textContent = '\u26A0 ' + kind + ': ' + item.name;
            var more = document.createElement('span');
            more.textContent = ' \u2014 ' + (summary.status && summary.status.description || '') + '. See status \u2192';
            banner.appendChild(text); banner.appendChild(more);
            document.body.appendChild(banner);
          }
          function load() {
            var xhr = new XMLHttpRequest();
            xhr.open('GET', origin + '/api/v2/summary.json');
            xhr.onload = function () { if (xhr.status === 200) { try { show(JSON.parse(xhr.responseText)); } catch (e) {} } };
            xhr.send();
          }
          if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', load); else load();
        })();
        """;
}
