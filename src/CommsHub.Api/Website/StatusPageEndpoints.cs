using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using CommsHub.Core.Common;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CommsHub.Api.Website;

/// <summary>The public status website, Statuspage's API v2, feeds, live events and the embeddable banner.</summary>
internal static class StatusPageEndpoints
{
    public static IEndpointRouteBuilder MapStatusPageEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var path in StatusSnapshot.Paths)
        {
            app.MapGet(path, (HttpContext http, StatusSnapshot snapshot) => Serve(http, snapshot.Get(path))).WithTags("Status page");
        }
        app.MapGet("/incidents/{id:guid}", (Guid id, HttpContext http, StatusSnapshot snapshot) =>
            snapshot.Incident(id, out var unknown) is { } page ? Serve(http, page) : unknown ? NotFound(snapshot) : Unavailable(http)).WithTags("Status page");
        app.MapLiveScript();
        app.MapGet("/events", (HttpContext http, LiveEventSlots slots, StatusSnapshot snapshot, CancellationToken ct) =>
            slots.TryEnter(http) is null ? slots.Refuse(http) : TypedResults.ServerSentEvents(Changes(snapshot, ct))).WithTags("Status page");
        app.MapPost("/subscribe", Subscribe).WithTags("Status page").DisableAntiforgery()
            .RequireRateLimiting(Endpoints.SubscriptionEndpoints.RateLimitPolicy).AddEndpointFilter<Infrastructure.PublicSubscriptionFilter>();
        return app;
    }

    private static IResult Serve(HttpContext http, Resource? resource)
    {
        if (resource is null)
        {
            return Unavailable(http);
        }
        var headers = http.Response.Headers;
        headers.ETag = resource.ETag;
        headers.LastModified = resource.LastModified.ToString("R");
        // Short: the page must show a new update within seconds, yet a stampede is absorbed by revalidation.
        headers.CacheControl = "public, max-age=5, must-revalidate";
        if (resource.Cors)
        {
            headers.AccessControlAllowOrigin = "*";
        }
        var request = http.Request.GetTypedHeaders();
        if (request.IfNoneMatch.Any(t => t.Tag == resource.ETag || t == EntityTagHeaderValue.Any)
            || (request.IfNoneMatch.Count == 0 && request.IfModifiedSince is { } since && resource.LastModified <= since.AddSeconds(1)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }
        return Results.Bytes(resource.Body, resource.ContentType);
    }

    private static IResult NotFound(StatusSnapshot snapshot) =>
        snapshot.NotFoundPage() is { } page ? Results.Text(page.Body, page.ContentType, statusCode: StatusCodes.Status404NotFound) : Results.NotFound();

    /// <summary>A resource never built in this process (the database was unreachable at start, say): ask again shortly.</summary>
    private static IResult Unavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = ((int)StatusSnapshot.RetryUnbuiltAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The status page is not available yet",
            detail: "This part of the status page could not be built yet. Try again in a few seconds.");
    }

    /// <summary>One <c>update</c> event per rebuild (the new version), and a ping every 15 s to keep proxies from closing the stream.</summary>
    private static async IAsyncEnumerable<SseItem<string>> Changes(StatusSnapshot snapshot, [EnumeratorCancellation] CancellationToken ct)
    {
        var versions = System.Threading.Channels.Channel.CreateBounded<long>(new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest });
        void OnRebuilt(long v) => versions.Writer.TryWrite(v);
        snapshot.Rebuilt += OnRebuilt;
        try
        {
            yield return new SseItem<string>(snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), "version") { ReconnectionInterval = TimeSpan.FromSeconds(3) };
            while (!ct.IsCancellationRequested)
            {
                using var ping = CancellationTokenSource.CreateLinkedTokenSource(ct);
                ping.CancelAfter(TimeSpan.FromSeconds(15));
                long? version = null;
                try
                {
                    version = await versions.Reader.ReadAsync(ping.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
                if (ct.IsCancellationRequested)
                {
                    yield break;
                }
                yield return version is { } v
                    ? new SseItem<string>(v.ToString(System.Globalization.CultureInfo.InvariantCulture), "update")
                    : new SseItem<string>("", "ping");
            }
        }
        finally
        {
            snapshot.Rebuilt -= OnRebuilt;
        }
    }

    /// <summary>The website's subscribe form (works without JavaScript): the same flow as the public API.</summary>
    private static async Task<IResult> Subscribe(HttpRequest request, SubscriberService subscribers, IOptions<CommsHubOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        var form = request.HasFormContentType ? await request.ReadFormAsync(ct) : null;
        string? Field(string name) => form?[name].ToString() is { Length: > 0 } v ? v : null;
        var components = (form?["components"] ?? default).Select(v => Guid.TryParse(v, out var id) ? id : Guid.Empty).ToList();
        try
        {
            await subscribers.SubscribeAsync(Field("email"), Field("phone"), Field("webhookUrl"), components, ct);
            var how = Field("email") is not null ? "We sent you an email: open its link to confirm."
                : Field("phone") is not null ? "We sent you a text message: reply YES to confirm."
                : "We posted a confirmation event to your endpoint: open its confirm_url to confirm.";
            return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status200OK, "Almost done", "📬",
                $"<p>{SitePage.Encode(how)}</p><p><a href=\"/\">Back to the status page</a></p>");
        }
        catch (ValidationException invalid)
        {
            var list = string.Join("", invalid.Errors.SelectMany(e => e.Value).Select(m => $"<li>{SitePage.Encode(m)}</li>"));
            return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status400BadRequest, "Please check the form", "⚠️",
                $"<ul>{list}</ul><p><a href=\"/#subscribe\">Back to the form</a></p>");
        }
    }
}
