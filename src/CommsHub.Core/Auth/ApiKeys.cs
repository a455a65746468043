using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CommsHub.Core.Audit;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CommsHub.Core.Auth;

/// <summary>
/// API keys made, listed and revoked through the API. A key is shown once, when it is made; only its hash
/// is stored. Making and revoking one are audited with who did it.
/// </summary>
public sealed partial class ApiKeys(CommsHubDbContext db, ApiKeyStore store, TimeProvider time)
{
    public const string CreatedAction = "key.created";
    public const string RevokedAction = "key.revoked";
    public const int MaxNameLength = 100;

    /// <summary>Configured keys are named <c>config-N</c> in the audit log; no stored key may look like one.</summary>
    private const string ConfiguredPrefix = "config-";

    public Task<List<ApiKey>> ListAsync(CancellationToken cancellationToken) =>
        db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);

    /// <returns>The stored key and the key itself, which is never available again.</returns>
    public async Task<(ApiKey Stored, string Key)> CreateAsync(CreateKeyRequest request, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new FieldErrors();
        var name = request.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            errors.Add("name", "name is required.");
        }
        else if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
        {
            errors.Add("name", $"name must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. deploy-bot): "
                + "the audit log names the key's calls key:<name>.");
        }
        else if (name.StartsWith(ConfiguredPrefix, StringComparison.OrdinalIgnoreCase) || name.Equals(ApiKeyStore.GeneratedName, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add("name", $"'{name}' is reserved for keys from configuration or the one generated at first start.");
        }
        var scopes = new List<string>();
        if (request.Scopes is not { Count: > 0 })
        {
            errors.Add("scopes", $"scopes must name at least one of: {string.Join(", ", Scopes.All)}.");
        }
        else
        {
            for (var i = 0; i < request.Scopes.Count; i++)
            {
                var scope = request.Scopes[i]?.Trim().ToLowerInvariant();
                if (scope is null || !Scopes.All.Contains(scope))
                {
                    errors.Add($"scopes[{i}]", $"'{request.Scopes[i]}' must be one of: {string.Join(", ", Scopes.All)}.");
                }
                else if (!scopes.Contains(scope))
                {
                    scopes.Add(scope);
                }
            }
        }
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            errors.Add("expiresAt", $"expiresAt must be in the future (it is {now:O} now).");
        }
        errors.ThrowIfAny();

        // Keys are few; compared here so the comparison ignores case whatever the database's collation.
        var active = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).Select(k => new { k.Id, k.Name }).ToListAsync(cancellationToken);
        if (active.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase)) is { } existing)
        {
            throw new StateConflictException("Duplicate key name.",
                $"A key named '{existing.Name}' exists and is not revoked ({existing.Id}); the audit log could not tell the two apart.",
                new Dictionary<string, object?> { ["existingId"] = existing.Id });
        }

        var key = ApiKeyStore.NewKey();
        var stored = new ApiKey
        {
            Id = Guid.CreateVersion7(), Name = name, Hash = ApiKeyStore.Hash(key), Scopes = scopes, CreatedAt = now, CreatedBy = actor,
            ExpiresAt = request.ExpiresAt?.ToUniversalTime(),
        };
        db.ApiKeys.Add(stored);
        AuditLog.Append(db, now, actor, CreatedAction, stored.Id.ToString(), new JsonObject
        {
            ["name"] = name,
            ["scopes"] = new JsonArray(scopes.Select(s => (JsonNode)JsonValue.Create(s)).ToArray()),
            ["expiresAt"] = stored.ExpiresAt?.ToString("O"),
        });
        await db.SaveChangesAsync(cancellationToken);
        // Usable at once through this process; the others see it at their next refresh.
        await store.RefreshAsync(db, cancellationToken);
        return (stored, key);
    }

    /// <returns>False for an unknown id. Revoking a revoked key changes nothing.</returns>
    public async Task<bool> RevokeAsync(Guid id, string actor, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return false;
        }
        if (key.RevokedAt is null)
        {
            var now = time.GetUtcNow();
            key.RevokedAt = now;
            AuditLog.Append(db, now, actor, RevokedAction, key.Id.ToString(), new JsonObject { ["name"] = key.Name });
            await db.SaveChangesAsync(cancellationToken);
        }
        store.Forget(key.Hash);
        // And re-read, so a periodic read that began before the revocation cannot bring it back here.
        await store.RefreshAsync(db, cancellationToken);
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
