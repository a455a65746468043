using System.Net;
using System.Text;
using OpenIddict.Abstractions;

namespace CommsHub.TestIdentityProvider;

/// <summary>
/// The provider's sign-in form: no password and no consent, the test types who it is. The form
/// posts the authorization request back with the user name, so the provider keeps no state.
/// </summary>
internal static class LoginPage
{
    public const string UserNameField = "username";

    public static string Render(string action, OpenIddictRequest request, string? error)
    {
        var html = new StringBuilder();
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in - Example Identity</title>
            <style>
            body{font-family:system-ui,sans-serif;background:#eef1f6;color:#1b2330;display:grid;place-items:center;min-height:100vh;margin:0}
            main{background:#fff;padding:2rem 2.5rem;border-radius:8px;box-shadow:0 2px 12px #0002;min-width:18rem}
            h1{font-size:1.3rem;margin-top:0} label{display:block;margin:.8rem 0 .3rem} input{font-size:1rem;padding:.45rem;width:100%;box-sizing:border-box}
            button{margin-top:1rem;font-size:1rem;padding:.5rem 1.2rem;background:#2450a6;color:#fff;border:0;border-radius:4px}
            .error{color:#a31515} .hint{color:#555;font-size:.85rem}
            </style></head><body><main>
            <h1>Example Identity</h1>
            """);
        if (error is not null)
        {
            html.Append("<p class=\"error\" role=\"alert\">").Append(WebUtility.HtmlEncode(error)).Append("</p>");
        }
        html.Append("<form method=\"post\" action=\"").Append(WebUtility.HtmlEncode(action)).Append("\">");
        foreach (var (name, value) in request.GetParameters())
        {
            if (name == UserNameField)
            {
                continue;
            }
            html.Append("<input type=\"hidden\" name=\"").Append(WebUtility.HtmlEncode(name))
                .Append("\" value=\"").Append(WebUtility.HtmlEncode((string?)value)).Append("\">");
        }
        html.Append("""
            <label for="username">User name</label>
            <input id="username" name="username" autocomplete="username" required autofocus>
            <p class="hint">alice, rob, vera or nora</p>
            <button type="submit">Sign in</button>
            </form></main></body></html>
            """);
        return html.ToString();
    }
}
