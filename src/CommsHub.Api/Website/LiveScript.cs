using System.Security.Cryptography;
using System.Text;

namespace CommsHub.Api.Website;

/// <summary>
/// The status page's live update: follows <c>/events</c> and swaps the page's <c>main</c> in place.
/// A file of its own (never inline) so the pages' Content-Security-Policy can refuse every inline
/// script; its URL carries a hash of its text, so it can be cached for long and still change with a release.
/// </summary>
internal static class LiveScript
{
    public const string Path = "/assets/live.js";

    private const string Source = """
        (function(){if(!window.EventSource||!window.fetch)return;var es=new EventSource('/events');
        es.addEventListener('update',function(){fetch(location.pathname,{cache:'no-store'}).then(function(r){return r.text()}).then(function(html){
        var doc=new DOMParser().parseFromString(html,'text/html');var next=doc.querySelector('main');var cur=document.querySelector('main');
        var active=document.activeElement;if(next&&cur&&!(active&&cur.contains(active)&&active.form)){cur.replaceWith(next)}document.title=doc.title;})});})();
        """;

    public static readonly byte[] Body = Encoding.UTF8.GetBytes(Source);

    /// <summary>What the pages' <c>script src</c> names: the path and the version of the text.</summary>
    public static readonly string Src = Path + "?v=" + Convert.ToHexStringLower(SHA256.HashData(Body))[..12];

    public static IEndpointRouteBuilder MapLiveScript(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (HttpContext http) =>
        {
            // Versioned by Src, so a day of caching never serves a stale script to a new page.
            http.Response.Headers.CacheControl = "public, max-age=86400";
            return Results.Bytes(Body, "text/javascript; charset=utf-8");
        }).WithTags("Status page");
        return app;
    }
}
