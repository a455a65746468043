using System.Net;
using System.Text.RegularExpressions;
using CommsHub.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CommsHub.Tests.Auth;

/// <summary>
/// A person's browser without JavaScript: keeps cookies, never follows redirects, and submits the
/// console's forms the way a browser would (the page's antiforgery token and form name included).
/// </summary>
public sealed partial class ConsoleClient(CommsHubApp app) : IDisposable
{
    public HttpClient Http { get; } = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public async Task<string> PageAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Http.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path} answered {(int)response.StatusCode}, expected {(int)expected}: {html}");
        return html;
    }

    /// <summary>Loads the page (unless given its HTML), then posts the named form with its antiforgery token.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string path, string form, IReadOnlyDictionary<string, string> fields, string? html = null)
    {
        html ??= await PageAsync(path);
        var values = new Dictionary<string, string>(fields)
        {
            ["_handler"] = form,
            ["__RequestVerificationToken"] = HiddenValue(html, "__RequestVerificationToken")
                ?? throw new InvalidOperationException($"{path} has no antiforgery token: {html}"),
        };
        return await Http.PostAsync(path, new FormUrlEncodedContent(values));
    }

    /// <summary>Submits and expects a redirect; answers where it points.</summary>
    public async Task<string> SubmitRedirectsAsync(string path, string form, IReadOnlyDictionary<string, string> fields, string? html = null)
    {
        using var response = await SubmitAsync(path, form, fields, html);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"POST {path} ({form}) answered {(int)response.StatusCode}, expected a redirect: {body}");
        var location = response.Headers.Location!;
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }

    /// <summary>Submits and expects the page again (an error, the next step); answers its HTML.</summary>
    public async Task<string> SubmitShowsAsync(string path, string form, IReadOnlyDictionary<string, string> fields, string? html = null)
    {
        using var response = await SubmitAsync(path, form, fields, html);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path} ({form}) answered {(int)response.StatusCode}, expected 200: {body}");
        return body;
    }

    public Task<string> SignInAsync(string email, string password, string path = "/login") =>
        SubmitRedirectsAsync(path, "login", new Dictionary<string, string> { ["Input.Email"] = email, ["Input.Password"] = password });

    public static string? HiddenValue(string html, string name)
    {
        foreach (Match input in InputTag().Matches(html))
        {
            if (input.Value.Contains($"name=\"{name}\"", StringComparison.Ordinal) && ValueAttribute().Match(input.Value) is { Success: true } value)
            {
                return WebUtility.HtmlDecode(value.Groups[1].Value);
            }
        }
        return null;
    }

    public static string? ElementText(string html, string id) =>
        Regex.Match(html, $"id=\"{Regex.Escape(id)}\"[^>]*>([^<]*)<") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex InputTag();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();

    public void Dispose() => Http.Dispose();
}
