using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Auth.Operators;

/// <summary>
/// Each operator's current security stamp, read for every request of a session and kept for a
/// few seconds: a session issued before a role change, a new password or a deletion is refused
/// at once in the process that made the change (it forgets the entry) and within
/// <see cref="CacheFor"/> in every other process, for at most one small query per operator per
/// process in that time.
/// </summary>
public sealed class OperatorStamps(IServiceScopeFactory scopes, IMemoryCache cache)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private sealed record Entry(string? Stamp);

    /// <summary>The stamp the operator has now; null when the operator no longer exists.</summary>
    public async Task<string?> CurrentAsync(Guid operatorId, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(Key(operatorId), out Entry? entry) && entry is not null)
        {
            return entry.Stamp;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var stamp = await db.Operators.AsNoTracking().Where(o => o.Id == operatorId).Select(o => o.SecurityStamp).FirstOrDefaultAsync(cancellationToken);
        cache.Set(Key(operatorId), new Entry(stamp), CacheFor);
        return stamp;
    }

    public void Forget(Guid operatorId) => cache.Remove(Key(operatorId));

    private static string Key(Guid id) => "operator-stamp:" + id.ToString("N");
}
