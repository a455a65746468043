using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CommsHub.Core.Hosting;
using CommsHub.Core.StatusPage;
using CommsHub.Core.StatusPage.Api;
using CommsHub.Core.StatusPage.Feeds;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Website;

/// <summary>A rendered public resource: its bytes and the validators that let clients skip it.</summary>
internal sealed record Resource(byte[] Body, string ContentType, string ETag, DateTimeOffset LastModified, bool Cors = false);

/// <summary>
/// The public surface, rendered once per change and served from memory: every request for the
/// page, the Statuspage JSON or a feed is a dictionary lookup, never a database query, so the
/// page stays fast when everyone presses refresh at once — and keeps serving its last state while
/// the database is down. A change in this process, a published update from any process (the
/// bus), or at the latest <see cref="RefreshEvery"/>, triggers a rebuild.
/// </summary>
internal sealed class StatusSnapshot(IServiceScopeFactory scopes, StatusChangeSignal signal, IOptions<StatusPageOptions> options,
    IOptions<CommsHubOptions> hub, ILogger<StatusSnapshot> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
    private volatile Built? _built;

    private sealed record Built(long Version, StatusData Data, IReadOnlyDictionary<string, Resource> Resources, ConcurrentDictionary<Guid, Resource> Incidents);

    /// <summary>Raised with the new version after each rebuild: what <c>/events</c> tells open pages.</summary>
    public event Action<long>? Rebuilt;

    public long Version => _built?.Version ?? 0;

    public Resource? Get(string path) => _built?.Resources.GetValueOrDefault(path);

    public Resource? Incident(Guid id)
    {
        var built = _built;
        if (built is null)
        {
            return null;
        }
        // Only incidents and maintenances that exist are rendered and kept: unknown ids must not grow the cache.
        if (built.Data.Incidents.FirstOrDefault(i => i.Id == id) is { } incident)
        {
            return built.Incidents.GetOrAdd(id, _ => Html(StatusPageHtml.Incident(built.Data, incident, _zone), built.Data));
        }
        return built.Data.Maintenances.FirstOrDefault(m => m.Id == id) is { } maintenance
            ? built.Incidents.GetOrAdd(id, _ => Html(StatusPageHtml.Incident(built.Data, maintenance.Incident, _zone, maintenance), built.Data))
            : null;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        signal.Changed += Wake;
        await RebuildAsync(cancellationToken); // serve nothing stale or empty: the first build happens before the host listens
        await base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        signal.Changed -= Wake;
        return base.StopAsync(cancellationToken);
    }

    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rebuild is already due; it will include this change.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(RefreshEvery, stoppingToken);
                await Task.Delay(50, stoppingToken); // let a burst of changes land in one rebuild
                await RebuildAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database may be down: keep serving the last snapshot and try again later.
                logger.LogWarning(ex, "Could not refresh the status page; serving the snapshot from version {Version}", Version);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        StatusData data;
        await using (var scope = scopes.CreateAsyncScope())
        {
            data = await scope.ServiceProvider.GetRequiredService<StatusDataLoader>().LoadAsync(cancellationToken);
        }
        var resources = new Dictionary<string, Resource>(StringComparer.Ordinal)
        {
            ["/"] = Html(StatusPageHtml.Home(data, _zone), data),
            ["/history"] = Html(StatusPageHtml.History(data, _zone), data),
            ["/api/v2/summary.json"] = Json(StatuspageApi.Summary(data), data),
            ["/api/v2/status.json"] = Json(StatuspageApi.Status(data), data),
            ["/api/v2/components.json"] = Json(StatuspageApi.Components(data), data),
            ["/api/v2/incidents.json"] = Json(StatuspageApi.Incidents(data), data),
            ["/api/v2/incidents/unresolved.json"] = Json(StatuspageApi.UnresolvedIncidents(data), data),
            ["/api/v2/scheduled-maintenances.json"] = Json(StatuspageApi.ScheduledMaintenances(data), data),
            ["/api/v2/scheduled-maintenances/upcoming.json"] = Json(StatuspageApi.UpcomingMaintenances(data), data),
            ["/api/v2/scheduled-maintenances/active.json"] = Json(StatuspageApi.ActiveMaintenances(data), data),
            ["/history.atom"] = Text(StatusFeeds.Atom(data), "application/atom+xml; charset=utf-8", data),
            ["/history.rss"] = Text(StatusFeeds.Rss(data), "application/rss+xml; charset=utf-8", data),
            ["/maintenances.ics"] = Text(StatusFeeds.Ics(data), "text/calendar; charset=utf-8", data),
            ["/embed.js"] = Text(EmbedScript.For(hub.Value.Link("/").TrimEnd('/')), "text/javascript; charset=utf-8", data, cors: true),
        };
        // Nothing changed (the periodic refresh, mostly): keep the build, its ETags and its version, so
        // clients revalidate to 304 and open pages are not told to refetch for nothing.
        var previous = _built;
        if (previous is not null && resources.All(r => previous.Resources.TryGetValue(r.Key, out var old) && old.ETag == r.Value.ETag))
        {
            return;
        }
        var version = (previous?.Version ?? 0) + 1;
        _built = new Built(version, data, resources, new ConcurrentDictionary<Guid, Resource>());
        Rebuilt?.Invoke(version);
    }

    private static Resource Html(string html, StatusData data) => Text(html, "text/html; charset=utf-8", data);

    private static Resource Json(JsonObject json, StatusData data) =>
        Text(json.ToJsonString(JsonSerializerOptions.Web), "application/json; charset=utf-8", data, cors: true);

    private static Resource Text(string text, string contentType, StatusData data, bool cors = false)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..20] + "\"";
        return new Resource(bytes, contentType, etag, data.Page.UpdatedAt, cors);
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
