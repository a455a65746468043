using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.BrowserTests.Infrastructure;

/// <summary>
/// The real Api host (all roles, embedded SQLite, in-memory bus, sandboxed email) listening on a
/// real loopback port through WebApplicationFactory's Kestrel mode, so that a browser can reach it.
/// PublicBaseUrl must be the app's own address (embed.js and shortlinks are built from it) and is
/// read at start, so the port is chosen before the host starts.
/// </summary>
public sealed class LiveApp : IAsyncDisposable
{
    private readonly string _db;
    private readonly CommsHubApp _factory;

    private LiveApp(string db, CommsHubApp factory, Uri url)
    {
        _db = db;
        _factory = factory;
        Url = url;
        Admin = Client(url);
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CommsHubApp.AdminKey);
    }

    /// <summary>The app's own origin, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public Uri Url { get; }

    /// <summary>An admin API client that goes through the real socket, like an operator's.</summary>
    public HttpClient Admin { get; }

    public IServiceProvider Services => _factory.Services;

    public string Link(string path) => new Uri(Url, path).AbsoluteUri;

    /// <param name="settings">Extra configuration (e.g. Auth:Oidc:*), applied over the defaults.</param>
    public static LiveApp Start(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var db = Path.Combine(Path.GetTempPath(), "commshub-browser-tests", $"{Guid.NewGuid():N}.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        // The chosen port can be taken between probe and bind by another process: try a few.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var url = new Uri($"http://127.0.0.1:{port}");
            var all = new Dictionary<string, string?>
            {
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:CommsHub"] = $"Data Source={db}",
                ["Auth:AdminApiKeys:0"] = CommsHubApp.AdminKey,
                ["PublicBaseUrl"] = url.AbsoluteUri.TrimEnd('/'),
                ["StatusPage:Name"] = "Acme Status",
                ["Outbox:PollInterval"] = "00:00:00.200",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                all[key] = value;
            }
            var factory = new CommsHubApp(all);
            factory.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
            try
            {
                factory.StartServer();
            }
            catch (Exception ex)
            {
                factory.Dispose();
                if (attempt < 3 && (ex is IOException or SocketException || ex.InnerException is IOException))
                {
                    continue;
                }
                DeleteDatabase(db);
                throw;
            }
            var addresses = factory.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            Assert.Contains(url.AbsoluteUri.TrimEnd('/'), addresses);
            return new LiveApp(db, factory, url);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static HttpClient Client(Uri baseAddress) =>
        // No proxy: every request of these tests stays on loopback.
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Waits until the rebuilt status page served to everyone contains the text (well before its 30-second periodic rebuild).</summary>
    public async Task PageShowsAsync(string text)
    {
        using var anonymous = Client(Url);
        await Eventually.HoldsAsync(async () => (await anonymous.GetStringAsync("/")).Contains(text, StringComparison.Ordinal),
            $"the status page at {Url} shows \"{text}\"", TimeSpan.FromSeconds(20));
    }

    public async Task<T> WithDbAsync<T>(Func<CommsHubDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }

    /// <summary>Publishes an incident through the admin API; <paramref name="components"/> as the API takes them ({ id, status }).</summary>
    public async Task<string> PublishIncidentAsync(string title, string message, string impact = "major", object[]? components = null)
    {
        var incident = await Admin.PostAsync("/api/incidents", new { title, message, impact, components = components ?? [] });
        return incident["id"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        await _factory.DisposeAsync();
        DeleteDatabase(_db);
    }

    private static void DeleteDatabase(string db)
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { db, db + "-wal", db + "-shm" })
        {
            File.Delete(f);
        }
    }
}
