using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Auth;

/// <summary>
/// The admin keys this process accepts: those configured under <c>Auth:AdminApiKeys</c> and the
/// generated ones stored (hashed) in the database. Only SHA-256 hashes are held in memory.
/// </summary>
public sealed class ApiKeyStore
{
    private readonly ConcurrentDictionary<string, byte> _hashes = new(StringComparer.Ordinal);

    public ApiKeyStore(IConfiguration configuration)
    {
        foreach (var key in ConfiguredKeys(configuration))
        {
            _hashes[Hash(key)] = 0;
        }
        HasConfiguredKeys = !_hashes.IsEmpty;
    }

    public bool HasConfiguredKeys { get; }

    public bool IsValid(string? presented) => !string.IsNullOrEmpty(presented) && _hashes.ContainsKey(Hash(presented));

    /// <summary>Names a key in the audit log without revealing it: the first 12 hex digits of its SHA-256.</summary>
    public static string Fingerprint(string key) => Hash(key)[..12];

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>
    /// Loads stored keys; with neither configured nor stored keys, generates one, stores its hash
    /// and returns it so the host can print it once. Returns null otherwise.
    /// </summary>
    public async Task<string?> LoadOrGenerateAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var stored = await db.ApiKeys.AsNoTracking().Select(k => k.Hash).ToListAsync(cancellationToken);
        foreach (var hash in stored)
        {
            _hashes[hash] = 0;
        }
        if (HasConfiguredKeys || stored.Count > 0)
        {
            return null;
        }

        var key = "chk_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        db.ApiKeys.Add(new ApiKey
        {
            Id = Guid.CreateVersion7(), Name = "generated at first start", Hash = Hash(key), Scopes = [Scopes.Admin], Generated = true, CreatedAt = time.GetUtcNow(),
        });
        await db.SaveChangesAsync(cancellationToken);
        _hashes[Hash(key)] = 0;
        scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<ApiKeyStore>()
            .LogWarning("No admin API key was configured: generated one and stored its hash. It is shown once, on the console.");
        return key;
    }

    private static IEnumerable<string> ConfiguredKeys(IConfiguration configuration) =>
        configuration.GetSection("Auth:AdminApiKeys").GetChildren()
            .Select(c => c.Value?.Trim())
            .Where(v => !string.IsNullOrEmpty(v))
            .Select(v => v!);

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
