using System.Security.Cryptography;
using System.Text;

namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// The console's only script, a progressive enhancement over plain server-rendered forms (every page
/// works without it). Two behaviours, both fed by HTML fragments the server renders from the same
/// Razor components the page uses:
/// <list type="bullet">
/// <item><c>data-live-src="url"</c> on an element: its content is replaced by a GET of the URL every
/// <c>data-live-interval</c> ms (default 2000) until the fragment answers with <c>data-live-done</c>
/// on its first element, or the page is hidden.</item>
/// <item><c>data-preview-src="url" data-preview-target="#id"</c> on a form: while the operator types
/// (300 ms after the last change) the form is POSTed there (with its antiforgery token) and the answer
/// replaces the target's content.</item>
/// </list>
/// Why not Blazor's interactive server mode: a circuit per operator needs a WebSocket and sticky
/// sessions across API replicas, and the strict script policy would have to allow the framework's
/// script; fragments over plain HTTP need neither.
/// </summary>
internal static class ConsoleScript
{
    public const string Path = "/assets/console.js";

    private const string Source = """
        (function(){try{var tz=Intl.DateTimeFormat().resolvedOptions().timeZone,c='commshub_tz='+encodeURIComponent(tz);
        if(tz&&document.cookie.split('; ').indexOf(c)<0){document.cookie=c+';path=/;max-age=31536000;samesite=lax'}}catch(e){}
        if(!window.fetch)return;
        function swap(el,html){var active=document.activeElement;if(active&&el.contains(active)&&active.form)return false;el.innerHTML=html;return true}
        document.querySelectorAll('[data-live-src]').forEach(function(el){var every=+el.getAttribute('data-live-interval')||2000;
        function tick(){if(document.hidden){setTimeout(tick,every);return}
        fetch(el.getAttribute('data-live-src'),{cache:'no-store',credentials:'same-origin',headers:{'Accept':'text/html'}}).then(function(r){if(!r.ok)throw r.status;return r.text()})
        .then(function(html){swap(el,html);if(!el.querySelector('[data-live-done]'))setTimeout(tick,every)}).catch(function(){setTimeout(tick,every*2)})}
        if(!el.querySelector('[data-live-done]'))setTimeout(tick,every)});
        document.querySelectorAll('form[data-preview-src]').forEach(function(form){var target=document.querySelector(form.getAttribute('data-preview-target'));if(!target)return;
        var timer=0,seq=0;function run(){var mine=++seq;var body=new FormData(form);body.delete('_handler');
        fetch(form.getAttribute('data-preview-src'),{method:'POST',body:body,credentials:'same-origin',headers:{'Accept':'text/html'}}).then(function(r){return r.text()})
        .then(function(html){if(mine===seq)target.innerHTML=html}).catch(function(){})}
        function later(){clearTimeout(timer);timer=setTimeout(run,300)}form.addEventListener('input',later);form.addEventListener('change',later)});
        })();
        """;

    public static readonly byte[] Body = Encoding.UTF8.GetBytes(Source);

    /// <summary>What the pages' <c>script src</c> names: the path and the version of the text.</summary>
    public static readonly string Src = Path + "?v=" + Convert.ToHexStringLower(SHA256.HashData(Body))[..12];

    public static IEndpointRouteBuilder MapConsoleScript(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "public, max-age=86400";
            return Results.Bytes(Body, "text/javascript; charset=utf-8");
        }).ExcludeFromDescription();
        return app;
    }
}
