using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace CommsHub.Core.Auth;

/// <summary>
/// <c>Auth:AdminApiKeys:N</c>: keys set by whoever deploys CommsHub, each with the <c>admin</c> scope and
/// named <c>config-N</c> in the audit log; and how often each process re-reads the keys made through the API.
/// </summary>
public sealed class ApiKeyOptions : IValidatableObject
{
    public const string Section = "Auth";

    /// <summary>Short keys can be guessed offline from their SHA-256, which is all the database holds.</summary>
    public const int MinLength = 32;

    /// <summary>By configuration index (<c>0</c>, <c>1</c>, …), so the audit name and any error point at the setting.</summary>
    public Dictionary<string, string?> AdminApiKeys { get; set; } = [];

    /// <summary>
    /// How often the keys made through the API are re-read from the database, and the uses gathered since are
    /// written: a revocation made through another process takes at most this long (plus one query) to be refused here.
    /// </summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The configured keys that are set, by index, trimmed.</summary>
    public IEnumerable<(string Index, string Key)> Configured() =>
        AdminApiKeys.Where(k => !string.IsNullOrWhiteSpace(k.Value))
            .OrderBy(k => int.TryParse(k.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue)
            .ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => (k.Key, k.Value!.Trim()));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (index, key) in Configured())
        {
            if (key.Length < MinLength)
            {
                yield return new ValidationResult(
                    $"Auth:AdminApiKeys:{index} is {key.Length} characters long; an API key must be at least {MinLength} characters "
                    + "(a random one: openssl rand -base64 32).",
                    [nameof(AdminApiKeys)]);
            }
        }
        if (KeyRefreshInterval <= TimeSpan.Zero || KeyRefreshInterval > TimeSpan.FromSeconds(4))
        {
            yield return new ValidationResult(
                $"Auth:KeyRefreshInterval '{KeyRefreshInterval}' must be positive and at most 00:00:04, so a revoked key is refused everywhere within 5 seconds.",
                [nameof(KeyRefreshInterval)]);
        }
    }
}
