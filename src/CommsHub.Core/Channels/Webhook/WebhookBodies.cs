using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// The Statuspage-format body of an update. Every batch of an update posts the same body: it is built
/// once per update per process (a handful of queries), not once per batch, however many batches ask at once.
/// </summary>
public sealed class WebhookBodies(CommsHubDbContext db, IMemoryCache cache, IOptions<CommsHubOptions> hub, TimeProvider time)
{
    public Task<StatuspageWebhookBody?> ForAsync(Guid updateId, Guid incidentId, CancellationToken cancellationToken) =>
        cache.GetOrLoadAsync(("webhook-body", updateId), TimeSpan.FromMinutes(1), () => StatuspageWebhookBody.BuildAsync(db, updateId,
            hub.Value.PublicBaseUrl, hub.Value.Link($"/incidents/{incidentId}"), time.GetUtcNow(), CancellationToken.None));
}
