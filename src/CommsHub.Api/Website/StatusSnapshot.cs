using System.Collections.Concurrent;
using System.Diagnostics;
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
/// Each resource is built on its own: one that fails (a renderer meeting text it cannot write) keeps
/// its last good version, is alerted once, and never holds back the others; one never built answers
/// 503. Nothing here stops the host from starting.
/// </summary>
internal sealed class StatusSnapshot(IServiceScopeFactory scopes, StatusChangeSignal signal, IOptions<StatusPageOptions> options,
    IOptions<CommsHubOptions> hub, TimeProvider time, ILogger<StatusSnapshot> logger, IOptions<CommsHub.Core.Subscribers.PublicSubscriptionOptions> subscriptions)
    : BackgroundService
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(30);

    /// <summary>How soon a snapshot never built is tried again, and the <c>Retry-After</c> of what it cannot serve yet.</summary>
    public static readonly TimeSpan RetryUnbuiltAfter = TimeSpan.FromSeconds(5);

    /// <summary>Every resource of the snapshot, by path: what <see cref="Render"/> builds and the endpoints serve.</summary>
    public static readonly IReadOnlyList<string> Paths =
    [
        "/", "/history", "/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json", "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json", "/history.atom", "/history.rss", "/maintenances.ics", "/embed.js",
    ];

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
    private readonly PublicResourceHealth _health = new(scopes, time, logger);
    // The last page that rendered for each incident, across builds: what a page that stops rendering keeps serving.
    private readonly ConcurrentDictionary<Guid, Resource> _lastGoodIncidents = new();
    private volatile Built? _built;
    private TimeSpan _lastRebuild; // read and written by the background loop only

    private sealed record Built(long Version, StatusData Data, IReadOnlyDictionary<string, Resource> Resources, ConcurrentDictionary<Guid, Resource> Incidents);

    /// <summary>Raised with the new version after each rebuild: what <c>/events</c> tells open pages.</summary>
    public event Action<long>? Rebuilt;

    /// <summary>Called before each resource is rendered; throwing makes that one render fail. Only tests set it.</summary>
    internal Action<string>? BeforeRender { get; set; }

    public long Version => _built?.Version ?? 0;

    /// <summary>The resource, or null while it has never been built (the snapshot's first build failed, or its renderer always does).</summary>
    public Resource? Get(string path) => _built?.Resources.GetValueOrDefault(path);

    private volatile Tuple<long, Resource>? _notFound;

    /// <summary>
    /// The page for an incident that is not (or no longer) on the status page: a whole page with its
    /// <c>main</c>, so an open page of a retracted incident that refetches itself shows this instead.
    /// </summary>
    public Resource? NotFoundPage()
    {
        var built = _built;
        if (built is null)
        {
            return null;
        }
        if (_notFound is { } cached && cached.Item1 == built.Version)
        {
            return cached.Item2;
        }
        var page = Html(StatusPageHtml.NotFound(built.Data), built.Data);
        _notFound = Tuple.Create(built.Version, page);
        return page;
    }

    /// <summary>An incident's or a maintenance's page, rendered when first asked for in each build.</summary>
    /// <param name="unknown">True when the snapshot is built and has no such incident: a 404 rather than a 503.</param>
    public Resource? Incident(Guid id, out bool unknown)
    {
        unknown = false;
        var built = _built;
        if (built is null)
        {
            return null;
        }
        if (built.Incidents.TryGetValue(id, out var cached))
        {
            return cached;
        }
        // Only incidents and maintenances that exist are rendered and kept: unknown ids must not grow the cache.
        var incident = built.Data.Incidents.FirstOrDefault(i => i.Id == id);
        var maintenance = incident is null ? built.Data.Maintenances.FirstOrDefault(m => m.Id == id) : null;
        if (incident is null && maintenance is null)
        {
            unknown = true;
            return null;
        }
        var path = $"/incidents/{id}";
        try
        {
            BeforeRender?.Invoke(path);
            var page = Html(StatusPageHtml.Incident(built.Data, incident ?? maintenance!.Incident, _zone, maintenance), built.Data);
            _health.Succeeded(path);
            _lastGoodIncidents[id] = page;
            return built.Incidents.GetOrAdd(id, page);
        }
        catch (Exception e)
        {
            var lastGood = _lastGoodIncidents.GetValueOrDefault(id);
            if (_health.Failed(path, e, lastGood is not null))
            {
                Wake(); // the background loop records the alert
            }
            return lastGood;
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        signal.Changed += Wake;
        // The first build happens before the host listens, so a healthy start serves nothing stale or empty.
        // One that fails is retried in the background: the rest of the API must come up whatever the page holds.
        await TryRebuildAsync(cancellationToken);
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
        // Alerts are recorded here, never in StartAsync: notices go to providers over HTTP, and the host must not wait for them.
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _health.ReportAsync(stoppingToken);
                await _wake.WaitAsync(_built is null ? RetryUnbuiltAfter : RefreshEvery, stoppingToken);
                // Let a burst of changes land in one rebuild; during a steady stream, rebuild at a
                // pace set by what a rebuild costs (see RebuildPause), so publishing keeps the CPU.
                await Task.Delay(RebuildPause(_lastRebuild), stoppingToken);
                var started = Stopwatch.GetTimestamp();
                var rebuilt = await TryRebuildAsync(stoppingToken);
                _lastRebuild = Stopwatch.GetElapsedTime(started);
                if (!rebuilt)
                {
                    // Woken again at once (a burst of changes while the database is down): do not spin.
                    await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// How long a woken snapshot waits before it rebuilds: <see cref="CoalesceChanges"/> after a
    /// cheap rebuild, and <see cref="PauseFactor"/> times the last rebuild's duration after a costly
    /// one (a page with long incidents, a loaded machine), at most <see cref="MaxPause"/>. A stream
    /// of updates therefore spends at most about a tenth of the time rebuilding instead of rebuilding
    /// back to back, and a change waits at most <see cref="MaxPause"/> plus one rebuild. Changes during
    /// the pause or the rebuild wake the loop again, so the last one is always shown.
    /// </summary>
    internal static TimeSpan RebuildPause(TimeSpan lastRebuild)
    {
        var pause = lastRebuild * PauseFactor;
        return pause < CoalesceChanges ? CoalesceChanges : pause > MaxPause ? MaxPause : pause;
    }

    public static readonly TimeSpan CoalesceChanges = TimeSpan.FromMilliseconds(50);
    public const int PauseFactor = 10;
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(2);

    /// <returns>False when the data could not be loaded (the database may be down): the last build stays.</returns>
    private async Task<bool> TryRebuildAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RebuildAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            if (_built is null)
            {
                logger.LogError(ex, "Could not build the status page; its resources answer 503 and the build is retried every {Delay}", RetryUnbuiltAfter);
            }
            else
            {
                logger.LogWarning(ex, "Could not refresh the status page; serving the snapshot from version {Version}", Version);
            }
            return false;
        }
    }

    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        StatusData data;
        await using (var scope = scopes.CreateAsyncScope())
        {
            data = await scope.ServiceProvider.GetRequiredService<StatusDataLoader>().LoadAsync(cancellationToken);
        }
        var previous = _built;
        var resources = new Dictionary<string, Resource>(StringComparer.Ordinal);
        foreach (var path in Paths)
        {
            var lastGood = previous?.Resources.GetValueOrDefault(path);
            try
            {
                BeforeRender?.Invoke(path);
                resources[path] = Render(path, data);
                _health.Succeeded(path);
            }
            catch (Exception e)
            {
                _health.Failed(path, e, lastGood is not null);
                if (lastGood is not null)
                {
                    resources[path] = lastGood;
                }
            }
        }
        // Nothing changed (the periodic refresh, mostly): keep the build, its ETags and its version, so
        // clients revalidate to 304 and open pages are not told to refetch for nothing.
        if (previous is not null && resources.Count == previous.Resources.Count
            && resources.All(r => previous.Resources.TryGetValue(r.Key, out var old) && old.ETag == r.Value.ETag))
        {
            return;
        }
        var version = (previous?.Version ?? 0) + 1;
        _built = new Built(version, data, resources, new ConcurrentDictionary<Guid, Resource>());
        foreach (var gone in _lastGoodIncidents.Keys.Where(id => !data.Incidents.Any(i => i.Id == id) && !data.Maintenances.Any(m => m.Id == id)))
        {
            _lastGoodIncidents.TryRemove(gone, out _);
        }
        Rebuilt?.Invoke(version);
    }

    private Resource Render(string path, StatusData data) => path switch
    {
        "/" => Html(StatusPageHtml.Home(data, _zone, subscriptions.Value.Captcha), data),
        "/history" => Html(StatusPageHtml.History(data, _zone), data),
        "/api/v2/summary.json" => Json(StatuspageApi.Summary(data), data),
        "/api/v2/status.json" => Json(StatuspageApi.Status(data), data),
        "/api/v2/components.json" => Json(StatuspageApi.Components(data), data),
        "/api/v2/incidents.json" => Json(StatuspageApi.Incidents(data), data),
        "/api/v2/incidents/unresolved.json" => Json(StatuspageApi.UnresolvedIncidents(data), data),
        "/api/v2/scheduled-maintenances.json" => Json(StatuspageApi.ScheduledMaintenances(data), data),
        "/api/v2/scheduled-maintenances/upcoming.json" => Json(StatuspageApi.UpcomingMaintenances(data), data),
        "/api/v2/scheduled-maintenances/active.json" => Json(StatuspageApi.ActiveMaintenances(data), data),
        "/history.atom" => Text(StatusFeeds.Atom(data), "application/atom+xml; charset=utf-8", data),
        "/history.rss" => Text(StatusFeeds.Rss(data), "application/rss+xml; charset=utf-8", data),
        "/maintenances.ics" => Text(StatusFeeds.Ics(data), "text/calendar; charset=utf-8", data),
        "/embed.js" => Text(EmbedScript.For(hub.Value.Link("/").TrimEnd('/')), "text/javascript; charset=utf-8", data, cors: true),
        _ => throw new ArgumentOutOfRangeException(nameof(path), path, "Not a status page resource."),
    };

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
