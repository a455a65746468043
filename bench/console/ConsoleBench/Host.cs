using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ConsoleBench;

/// <summary>The real CommsHub.Api (Roles=api, in-memory bus) from its Release build output, on a loopback port.</summary>
internal sealed partial class Host(string connectionString) : IAsyncDisposable
{
    public const string AdminKey = "bench-console-admin-key-0123456789abcdef";
    private Process? _process;

    public Uri Url { get; } = new($"http://127.0.0.1:{FreePort()}");

    public HttpClient Admin { get; private set; } = null!;

    public async Task StartAsync()
    {
        var dll = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../src/CommsHub.Api/bin/Release/net10.0/CommsHub.Api.dll"));
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", Url.ToString().TrimEnd('/')])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["Database__Provider"] = "PostgreSql";
        info.Environment["ConnectionStrings__CommsHub"] = connectionString;
        info.Environment["Roles"] = "api";
        info.Environment["Auth__AdminApiKeys__0"] = AdminKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("  host: " + e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Admin = new HttpClient { BaseAddress = Url };
        Admin.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        for (var i = 0; ; i++)
        {
            try
            {
                if ((await Admin.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (i < 600 && !_process.HasExited)
            {
            }
            await Task.Delay(200);
        }
    }

    public async Task<JsonNode> PostAsync(string path, object body)
    {
        using var response = await Admin.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        }
        return JsonNode.Parse(text)!;
    }

    /// <summary>An admin operator, invited through the API and signed in through the console's own forms: a browser's cookies.</summary>
    public async Task<HttpClient> SignInAsync()
    {
        const string password = "correct horse battery staple";
        var email = $"bench.{Guid.NewGuid():N}@example.com";
        var created = await PostAsync("/api/operators", new { email, name = "Bench Operator", role = "admin" });
        var invitation = new Uri(created["invitationUrl"]!.GetValue<string>()).PathAndQuery;
        var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = Url };
        await SubmitAsync(browser, invitation, "set-password", html => new()
        {
            ["Input.Token"] = Hidden(html, "Input.Token")!, ["Input.Password"] = password, ["Input.Confirmation"] = password,
        });
        var signedIn = await SubmitAsync(browser, "/login", "login", _ => new() { ["Input.Email"] = email, ["Input.Password"] = password });
        if (signedIn.Headers.Location?.OriginalString.EndsWith("/console", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"Sign-in answered {(int)signedIn.StatusCode} {signedIn.Headers.Location}");
        }
        return browser;
    }

    private static async Task<HttpResponseMessage> SubmitAsync(HttpClient browser, string path, string form, Func<string, Dictionary<string, string>> fields)
    {
        var html = await browser.GetStringAsync(path);
        var values = fields(html);
        values["_handler"] = form;
        values["__RequestVerificationToken"] = Hidden(html, "__RequestVerificationToken")!;
        return await browser.PostAsync(path, new FormUrlEncodedContent(values));
    }

    private static string? Hidden(string html, string name) =>
        InputTag().Matches(html).Select(m => m.Value).FirstOrDefault(i => i.Contains($"name=\"{name}\"", StringComparison.Ordinal)) is { } input
            ? WebUtility.HtmlDecode(ValueAttribute().Match(input).Groups[1].Value) : null;

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex InputTag();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex ValueAttribute();

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Admin?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}
