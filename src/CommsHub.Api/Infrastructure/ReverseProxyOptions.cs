using System.ComponentModel.DataAnnotations;
using System.Net;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> are believed.
/// None configured: those headers are ignored, since any client could write them.
/// </summary>
public sealed class ReverseProxyOptions : IValidatableObject
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of the proxies, e.g. <c>10.0.0.5</c> or <c>fd00::5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of the proxies in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<IPAddress> Proxies() => KnownProxies.Select(p => IPAddress.Parse(p.Trim()));

    public IEnumerable<IPNetwork> Networks() => KnownNetworks.Select(n => IPNetwork.Parse(n.Trim()));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < KnownProxies.Count; i++)
        {
            if (!IPAddress.TryParse(KnownProxies[i].Trim(), out _))
            {
                yield return new ValidationResult(
                    $"{Section}:KnownProxies:{i} '{KnownProxies[i]}' is not an IP address (e.g. 10.0.0.5 or fd00::5).", [nameof(KnownProxies)]);
            }
        }
        for (var i = 0; i < KnownNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(KnownNetworks[i].Trim(), out _))
            {
                yield return new ValidationResult(
                    $"{Section}:KnownNetworks:{i} '{KnownNetworks[i]}' is not a network in CIDR notation (e.g. 10.0.0.0/8 or fd00::/8).", [nameof(KnownNetworks)]);
            }
        }
    }
}
