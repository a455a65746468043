using System.Buffers;
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
public sealed class AddressHasher : IDisposable
{
    public const string SecretName = "address-hash-key";

    /// <summary>The length of a hash in bytes (its hex, <see cref="Hash(Channel, string)"/>, is twice as long).</summary>
    public const int HashBytes = HMACSHA256.HashSizeInBytes;
    private byte[]? _key;

    // Setting up an HMAC's key costs as much as hashing a short address (about 0.6 µs each with OpenSSL) and a
    // campaign hashes each of its recipients: each thread keeps one HMAC for the key and resets it after each hash.
    private readonly ThreadLocal<IncrementalHash> _hmac;

    public AddressHasher() => _hmac = new(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Key));

    public string Hash(Channel channel, string address)
    {
        Span<byte> mac = stackalloc byte[HashBytes];
        Hash(channel, address, mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>
    /// The same hash as bytes, written without allocating: for callers that hash once per recipient of a campaign.
    /// The string form is made from this one, so the two can never disagree.
    /// </summary>
    public void Hash(Channel channel, string address, Span<byte> destination)
    {
        var wire = channel.ToWire();
        var length = wire.Length + 1 + Encoding.UTF8.GetByteCount(address);
        byte[]? rented = null;
        Span<byte> input = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = Encoding.UTF8.GetBytes(wire, input);
        input[written++] = (byte)':';
        written += Encoding.UTF8.GetBytes(address, input[written..]);
        var hmac = _hmac.Value!;
        hmac.AppendData(input[..written]);
        hmac.GetHashAndReset(destination);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// A key for another purpose, derived from this one (HKDF-Expand with the purpose as its label): what it
    /// authenticates can never pass for an address hash, and this key itself is only ever used for the hashes.
    /// </summary>
    public byte[] DeriveKey(string purpose) => HKDF.Expand(HashAlgorithmName.SHA256, Key, HashBytes, Encoding.UTF8.GetBytes(purpose));

    public void Dispose() => _hmac.Dispose();

    private byte[] Key => _key ?? throw new InvalidOperationException("AddressHasher is used before InitializeAsync ran at start.");

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
