using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth;

/// <summary>
/// The keys this process accepts. Configured keys (<c>Auth:AdminApiKeys</c>) are fixed at start; the keys
/// made through the API are held as a copy of the active ones, re-read from the database every
/// <see cref="ApiKeyOptions.KeyRefreshInterval"/> by <see cref="ApiKeyRefresher"/>, so a key revoked through
/// any process is refused here within that interval, and checking a key costs no query. Expiry is checked
/// on each request against the clock. Only SHA-256 hashes are held, in memory as in the database.
/// </summary>
public sealed class ApiKeyStore : IDisposable
{
    public const string GeneratedName = "generated-at-first-start";

    private readonly FrozenDictionary<string, AcceptedKey> _configured;
    private readonly TimeProvider _time;
    private volatile FrozenDictionary<string, StoredKey> _stored = FrozenDictionary<string, StoredKey>.Empty;

    // One refresh at a time: a periodic read that began before a key was made must not land after the read that follows it.
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    // Uses since the last flush: written in one UPDATE per refresh instead of one write per request.
    private readonly Lock _gate = new();
    private Dictionary<Guid, DateTimeOffset> _used = [];

    public ApiKeyStore(IOptions<ApiKeyOptions> options, TimeProvider time)
    {
        _time = time;
        _configured = options.Value.Configured()
            .DistinctBy(k => Hash(k.Key))
            .ToFrozenDictionary(k => Hash(k.Key), k => new AcceptedKey(null, "config-" + k.Index, [Scopes.Admin]), StringComparer.Ordinal);
    }

    /// <summary>Whether any key is configured: then the key generated at first start is refused.</summary>
    public bool HasConfiguredKeys => _configured.Count > 0;

    /// <summary>The key, when <paramref name="presented"/> is one this process accepts now; null otherwise.</summary>
    public AcceptedKey? Find(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }
        return FindByHash(Hash(presented));
    }

    /// <summary>
    /// The key whose SHA-256 is <paramref name="hash"/>, when this process accepts it now: for sessions
    /// that remember which key opened them (never the key itself), re-checked on each request.
    /// </summary>
    public AcceptedKey? FindByHash(string hash)
    {
        if (_configured.TryGetValue(hash, out var configured))
        {
            return configured;
        }
        return _stored.TryGetValue(hash, out var stored) && (stored.ExpiresAt is not { } expires || expires > _time.GetUtcNow())
            ? stored.Key
            : null;
    }

    /// <summary>Notes a use of a stored key, for its <c>lastUsedAt</c>; written with the next refresh.</summary>
    public void Touch(AcceptedKey key)
    {
        if (key.Id is { } id)
        {
            var now = _time.GetUtcNow();
            lock (_gate)
            {
                _used[id] = now;
            }
        }
    }

    /// <summary>Stops accepting a key at once in this process; the others stop at their next refresh.</summary>
    public void Forget(string hash)
    {
        var current = _stored;
        if (current.ContainsKey(hash))
        {
            _stored = current.Where(k => k.Key != hash).ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>A new key: <c>chk_</c> and 256 random bits, base64url.</summary>
    public static string NewKey() =>
        "chk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Re-reads the active stored keys; keeps the previous copy when the database cannot be read.</summary>
    public async Task RefreshAsync(CommsHubDbContext db, CancellationToken cancellationToken)
    {
        var query = db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null);
        if (HasConfiguredKeys)
        {
            query = query.Where(k => !k.Generated);
        }
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            var rows = await query.Select(k => new { k.Id, k.Name, k.Hash, k.Scopes, k.ExpiresAt }).ToListAsync(cancellationToken);
            _stored = rows.ToFrozenDictionary(
                r => r.Hash, r => new StoredKey(new AcceptedKey(r.Id, r.Name, r.Scopes), r.ExpiresAt), StringComparer.Ordinal);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Writes the uses gathered since the last flush: one UPDATE, never moving a key's <c>lastUsedAt</c> back.</summary>
    public async Task FlushUsesAsync(CommsHubDbContext db, CancellationToken cancellationToken)
    {
        Dictionary<Guid, DateTimeOffset> used;
        lock (_gate)
        {
            if (_used.Count == 0)
            {
                return;
            }
            used = _used;
            _used = [];
        }
        var ids = used.Keys.ToList();
        // One statement for all of them: each key gets the batch's latest use, which is within one interval of its own.
        var latest = used.Values.Max();
        try
        {
            await db.ApiKeys.Where(k => ids.Contains(k.Id) && (k.LastUsedAt == null || k.LastUsedAt < latest))
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, latest), cancellationToken);
        }
        catch
        {
            // Not lost: tried again with the next flush.
            lock (_gate)
            {
                foreach (var (id, at) in used)
                {
                    _used[id] = _used.TryGetValue(id, out var other) && other > at ? other : at;
                }
            }
            throw;
        }
    }

    /// <summary>
    /// At start: refuses for good the key generated at first start once a key is configured (it was printed to a
    /// log); with neither configured nor stored keys, generates one, stores its hash and returns it so the host
    /// can print it once. Loads the active keys either way.
    /// </summary>
    public async Task<string?> LoadOrGenerateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<ApiKeyStore>();
        var now = _time.GetUtcNow();
        string? generated = null;
        if (HasConfiguredKeys)
        {
            var first = await db.ApiKeys.Where(k => k.Generated && k.RevokedAt == null).ToListAsync(cancellationToken);
            foreach (var key in first)
            {
                key.RevokedAt = now;
                AuditLog.Append(db, now, AuditLog.System, ApiKeys.RevokedAction, key.Id.ToString(),
                    new JsonObject { ["name"] = key.Name, ["reason"] = "a key is configured (Auth:AdminApiKeys)" });
                logger.LogWarning("Revoked the API key generated at first start: a key is configured under Auth:AdminApiKeys.");
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        else if (!await db.ApiKeys.AnyAsync(cancellationToken))
        {
            generated = NewKey();
            db.ApiKeys.Add(new ApiKey
            {
                Id = Guid.CreateVersion7(), Name = GeneratedName, Hash = Hash(generated), Scopes = [Scopes.Admin], Generated = true, CreatedAt = now,
            });
            await db.SaveChangesAsync(cancellationToken);
            logger.LogWarning("No admin API key was configured: generated one and stored its hash. It is shown once, on the console.");
        }
        await RefreshAsync(db, cancellationToken);
        return generated;
    }

    public void Dispose() => _refreshing.Dispose();

    private sealed record StoredKey(AcceptedKey Key, DateTimeOffset? ExpiresAt);
}
