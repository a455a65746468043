using System.Security.Cryptography;
using System.Text;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Common;

/// <summary>
/// Keyed hashes (HMAC-SHA256) of addresses: what erasure leaves behind where the record still has
/// to refer to an address (suppressions, erased deliveries). Without the key, which never leaves
/// the database, a hash cannot be turned back into a phone number by trying them all.
/// </summary>
public sealed class AddressHasher
{
    public const string SecretName = "address-hash-key";
    private byte[]? _key;

    public string Hash(Channel channel, string address)
    {
        var key = _key ?? throw new InvalidOperationException("AddressHasher is used before InitializeAsync ran at start.");
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{channel.ToWire()}:{address}"));
        return Convert.ToHexStringLower(mac);
    }

    public async Task InitializeAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var value = await db.AppSecrets.AsNoTracking().Where(s => s.Name == SecretName).Select(s => s.Value).FirstOrDefaultAsync(cancellationToken);
        if (value is null)
        {
            db.AppSecrets.Add(new AppSecret
            {
                Name = SecretName,
                Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                CreatedAt = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow(),
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another process created it first; use theirs.
            }
            db.ChangeTracker.Clear();
            value = await db.AppSecrets.AsNoTracking().Where(s => s.Name == SecretName).Select(s => s.Value).FirstAsync(cancellationToken);
        }
        _key = Convert.FromBase64String(value);
    }
}
