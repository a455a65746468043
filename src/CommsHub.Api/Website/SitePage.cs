using System.Text;
using System.Text.Encodings.Web;

namespace CommsHub.Api.Website;

/// <summary>
/// The public pages' shared look: server-rendered, readable without JavaScript, no asset from
/// another host. Every value put into a page goes through <see cref="Encode"/>.
/// </summary>
internal static class SitePage
{
    private const string Style = """
        :root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#f6f7f9;--card:#fff;--line:#d0d7de;--accent:#1f6feb}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#4493f8}}
        *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
        header,main{max-width:640px;margin:0 auto;padding:16px}header a{color:var(--fg);text-decoration:none;font-weight:600}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:24px}
        h1{font-size:1.4rem;margin:0 0 12px}p{margin:0 0 12px}.muted{color:var(--muted);font-size:.9rem}
        button{font:inherit;padding:10px 18px;border-radius:6px;border:0;background:var(--accent);color:#fff;font-weight:600;cursor:pointer}
        .icon{font-size:1.6rem;margin-right:8px}
        """;

    public static string Encode(string text) => HtmlEncoder.Default.Encode(text);

    /// <param name="bodyHtml">Already-encoded HTML.</param>
    public static IResult Render(string pageName, string homeUrl, int status, string title, string icon, string bodyHtml)
    {
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
            .Append("<meta name=\"robots\" content=\"noindex\">")
            .Append("<title>").Append(Encode(title)).Append(" · ").Append(Encode(pageName)).Append("</title>")
            .Append("<style>").Append(Style).Append("</style></head><body>")
            .Append("<header><a href=\"").Append(Encode(homeUrl)).Append("\">").Append(Encode(pageName)).Append("</a></header>")
            .Append("<main><div class=\"card\"><h1><span class=\"icon\" aria-hidden=\"true\">").Append(icon).Append("</span>")
            .Append(Encode(title)).Append("</h1>").Append(bodyHtml).Append("</div></main></body></html>")
            .ToString();
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
