using System.Net;
using System.Text.RegularExpressions;

namespace CommsHub.Tests.Api;

/// <summary>
/// What a browser does in a sign-in, without the browser: one cookie jar, redirects followed one
/// hop at a time (each hop is kept in <see cref="Visited"/>), and forms read and posted. Requests
/// for the app (http://localhost) go through its TestServer; everything else (the identity
/// provider) over the loopback network.
/// </summary>
internal sealed partial class CookieBrowser(HttpMessageHandler app, Uri appBase) : IDisposable
{
    private readonly HttpMessageInvoker _app = new(app);
    private readonly HttpMessageInvoker _network = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false });

    public CookieContainer Cookies { get; } = new();

    public List<Uri> Visited { get; } = [];

    public Cookie? Cookie(string name) => Cookies.GetCookies(appBase).FirstOrDefault(c => c.Name == name && !c.Expired);

    /// <summary>One request, no redirect followed.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        var cookies = Cookies.GetCookieHeader(url);
        if (cookies.Length > 0)
        {
            request.Headers.Add("Cookie", cookies);
        }
        Visited.Add(url);
        var invoker = url.Host == appBase.Host && url.Port == appBase.Port ? _app : _network;
        var response = await invoker.SendAsync(request, CancellationToken.None);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var setCookie in setCookies)
            {
                Cookies.SetCookies(url, setCookie);
            }
        }
        return response;
    }

    /// <summary>Sends the request and follows redirects (as GETs) until a page answers.</summary>
    public async Task<HttpResponseMessage> NavigateAsync(Uri url, HttpMethod? method = null, HttpContent? content = null)
    {
        var response = await SendAsync(method ?? HttpMethod.Get, url, content);
        for (var hops = 0; IsRedirect(response.StatusCode); hops++)
        {
            Assert.True(hops < 10, $"More than 10 redirects; visited {string.Join(" -> ", Visited)}");
            var next = new Uri(url, response.Headers.Location!);
            response.Dispose();
            url = next;
            response = await SendAsync(HttpMethod.Get, url);
        }
        return response;
    }

    /// <summary>Fills in the page's form (its hidden fields plus <paramref name="fields"/>) and submits it.</summary>
    public async Task<HttpResponseMessage> SubmitFormAsync(Uri page, string html, IReadOnlyDictionary<string, string> fields)
    {
        var form = FormTag().Match(html);
        Assert.True(form.Success, "The page has no form: " + html);
        var values = new List<KeyValuePair<string, string>>();
        foreach (Match input in HiddenInput().Matches(html))
        {
            values.Add(new(WebUtility.HtmlDecode(input.Groups["name"].Value), WebUtility.HtmlDecode(input.Groups["value"].Value)));
        }
        values.AddRange(fields);
        var action = new Uri(page, WebUtility.HtmlDecode(form.Groups["action"].Value));
        using var content = new FormUrlEncodedContent(values);
        return await NavigateAsync(action, HttpMethod.Post, content);
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is >= 300 and < 400;

    [GeneratedRegex("""<form method="post" action="(?<action>[^"]*)">""")]
    private static partial Regex FormTag();

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]*)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenInput();

    public void Dispose()
    {
        _app.Dispose();
        _network.Dispose();
    }
}
