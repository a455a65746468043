using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// The one-click way out of campaigns: each campaign email carries a link (and RFC 8058 headers) whose token names
/// its address; using it records a keyed hash of the address, and no later campaign reaches it. Status
/// subscriptions are untouched: leaving marketing-like mail must not silence incident notices.
/// </summary>
public sealed class CampaignOptOuts(CommsHubDbContext db, AddressHasher hasher, IDataProtectionProvider protection, IOptions<CommsHubOptions> options, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("CommsHub.Campaigns.OptOut.v1");

    public string Url(Channel channel, string address) =>
        options.Value.Link("/campaigns/unsubscribe?token=" + Uri.EscapeDataString(_protector.Protect(channel.ToWire() + ":" + address)));

    /// <returns>False for a token that is not ours.</returns>
    public async Task<bool> OptOutAsync(string? token, CancellationToken cancellationToken)
    {
        string payload;
        try
        {
            payload = _protector.Unprotect(token ?? "");
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !Wire.TryParse<Channel>(payload[..colon], out var channel))
        {
            return false;
        }
        var hash = hasher.Hash(channel, payload[(colon + 1)..]);
        if (!await db.CampaignOptOuts.AnyAsync(o => o.Channel == channel && o.AddressHash == hash, cancellationToken))
        {
            db.CampaignOptOuts.Add(new CampaignOptOut { Channel = channel, AddressHash = hash, CreatedAt = time.GetUtcNow() });
            Audit.AuditLog.Append(db, time.GetUtcNow(), Audit.AuditLog.System, "campaign.opt_out", hash[..16], new System.Text.Json.Nodes.JsonObject
            {
                ["channel"] = channel.ToWire(),
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // A second click at the same moment: already out.
            }
        }
        return true;
    }
}
