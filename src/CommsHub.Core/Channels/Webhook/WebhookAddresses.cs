using System.Net;
using Microsoft.Security.AntiSSRF;

namespace CommsHub.Core.Channels.Webhook;

/// <summary>
/// The one place that decides which addresses a webhook may reach; the subscription-time
/// <see cref="WebhookTargetPolicy"/> and the connect-time callback in <see cref="WebhookHttp"/> both ask it.
/// </summary>
internal static class WebhookAddresses
{
    public const string PrivateOrLoopback = "a private or loopback address";
    public const string Metadata = "a cloud metadata service address";

    // AntiSSRF's lists are the reviewed source of non-public ranges. Its only consumer of them is its own
    // HttpMessageHandler, which cannot also answer "may this URL be subscribed?" without sending a request,
    // so we apply the lists here. The named lists come first only to give a precise reason; the final
    // catch-all `recommendedLatest` is what guarantees the coverage.
    private static readonly (IPNetwork Network, string Reason)[] Refused =
    [
        .. Parse(IPAddressRanges.imds, Metadata),
        .. Parse(IPAddressRanges.wireserver, Metadata),
        // AWS's IPv6 instance metadata endpoint and Alibaba Cloud's metadata endpoint, missing from AntiSSRF's lists.
        .. Parse(["fd00:ec2::254/128", "100.100.100.200/32"], Metadata),
        .. Parse(IPAddressRanges.loopback, PrivateOrLoopback),
        .. Parse(IPAddressRanges.privateUse, PrivateOrLoopback),
        .. Parse(IPAddressRanges.uniqueLocal, PrivateOrLoopback),
        .. Parse(IPAddressRanges.siteLocal, PrivateOrLoopback),
        .. Parse(IPAddressRanges.unspecified, "an unspecified address"),
        .. Parse(IPAddressRanges.sharedAddressSpace, "a carrier-grade NAT (shared) address"),
        .. Parse(IPAddressRanges.linkLocal, "a link-local address"),
        .. Parse(IPAddressRanges.multicast, "a multicast address"),
        .. Parse(IPAddressRanges.broadcast, "a broadcast address"),
        .. Parse(IPAddressRanges.recommendedLatest, "a reserved or special-purpose address"),
    ];

    private static readonly HashSet<string> MetadataHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    };

    /// <summary>
    /// Null when <paramref name="address"/> may be reached, otherwise why not. <paramref name="target"/> is the
    /// address to connect to: IPv4-mapped and IPv4-compatible IPv6 forms are judged, and reached, as the IPv4
    /// address they carry, so <c>::ffff:127.0.0.1</c> is loopback.
    /// </summary>
    public static string? WhyRefused(IPAddress address, bool allowPrivateTargets, out IPAddress target)
    {
        target = Unwrap(address);
        foreach (var (network, reason) in Refused)
        {
            if (network.Contains(target))
            {
                // Closed networks may need private addresses; no webhook ever needs the cloud's credentials service.
                return allowPrivateTargets && reason != Metadata ? null : reason;
            }
        }
        return null;
    }

    /// <summary>Names that are the cloud metadata service wherever they resolve (GCP, AWS): refused before any lookup.</summary>
    public static bool IsMetadataHost(string host) => MetadataHosts.Contains(host.TrimEnd('.'));

    /// <summary>RFC 6761: <c>localhost</c> and every <c>*.localhost</c> name mean this machine.</summary>
    public static bool IsLocalhostName(string host)
    {
        var name = host.TrimEnd('.');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }

    private static IPAddress Unwrap(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            if (!bytes[..12].ContainsAnyExcept((byte)0))
            {
                // Deprecated IPv4-compatible form (::a.b.c.d).
                return new IPAddress(bytes[12..]);
            }
        }
        return address;
    }

    private static IEnumerable<(IPNetwork, string)> Parse(IEnumerable<string> networks, string reason) =>
        networks.Select(n => (IPNetwork.Parse(n), reason));
}
