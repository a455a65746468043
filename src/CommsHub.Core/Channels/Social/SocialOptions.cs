using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace CommsHub.Core.Channels.Social;

/// <summary>One Mastodon account: off until both the server and a token with write:statuses are set.</summary>
public sealed partial class MastodonOptions : IValidatableObject
{
    public const string Section = "Channels:Social:Mastodon";

    /// <summary>The account's server, e.g. https://mastodon.social.</summary>
    public string InstanceUrl { get; set; } = "";
    public string AccessToken { get; set; } = "";

    /// <summary>Optional username (<c>status</c> or <c>@status</c>), only to name the account in deliveries.</summary>
    public string Handle { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(InstanceUrl) && !string.IsNullOrWhiteSpace(AccessToken);

    public string Account
    {
        get
        {
            if (!IsConfigured || !Uri.TryCreate(InstanceUrl, UriKind.Absolute, out var instance))
            {
                return "mastodon";
            }
            var handle = Handle.Trim().TrimStart('@');
            return handle.Length == 0 ? $"mastodon:{instance.Host}"
                : handle.Contains('@', StringComparison.Ordinal) ? $"mastodon:@{handle}"
                : $"mastodon:@{handle}@{instance.Host}";
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = SocialSettings.Pair(Section, (nameof(InstanceUrl), InstanceUrl), (nameof(AccessToken), AccessToken), "Mastodon").ToList();
        if (!string.IsNullOrWhiteSpace(InstanceUrl))
        {
            results.AddRange(SocialSettings.Origin(Section, nameof(InstanceUrl), InstanceUrl, "your Mastodon server's address, e.g. https://mastodon.social"));
        }
        if (Handle.Length > 0 && !HandleRegex().IsMatch(Handle))
        {
            results.Add(new ValidationResult(
                $"{Section}:Handle '{Handle}' is not a Mastodon username: write it as status or @status (or @status@mastodon.example).", [nameof(Handle)]));
        }
        results.AddRange(SocialSettings.Timeout(Section, Timeout));
        return results;
    }

    [GeneratedRegex(@"^@?[A-Za-z0-9_]+(@[A-Za-z0-9.-]+)?$")]
    private static partial Regex HandleRegex();
}

/// <summary>One Bluesky account, logged in with an app password (Settings → Privacy and security → App passwords).</summary>
public sealed class BlueskyOptions : IValidatableObject
{
    public const string Section = "Channels:Social:Bluesky";

    /// <summary>The PDS or entryway that holds the account.</summary>
    public string ServiceUrl { get; set; } = "https://bsky.social";

    /// <summary>The handle (status.example.com), DID or e-mail address to log in with.</summary>
    public string Identifier { get; set; } = "";
    public string AppPassword { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Identifier) && !string.IsNullOrWhiteSpace(AppPassword);

    public string Account
    {
        get
        {
            var who = Identifier.Trim().TrimStart('@');
            // DIDs are case-sensitive; handles are not.
            return !IsConfigured ? "bluesky" : "bluesky:" + (who.StartsWith("did:", StringComparison.Ordinal) ? who : who.ToLowerInvariant());
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = SocialSettings.Pair(Section, (nameof(Identifier), Identifier), (nameof(AppPassword), AppPassword), "Bluesky").ToList();
        if (Identifier.Trim().Any(char.IsWhiteSpace))
        {
            results.Add(new ValidationResult(
                $"{Section}:Identifier '{Identifier}' contains spaces: use the account's handle (status.example.com), its DID or its e-mail address.", [nameof(Identifier)]));
        }
        results.AddRange(SocialSettings.Origin(Section, nameof(ServiceUrl), ServiceUrl, "leave it unset for https://bsky.social, or give your PDS's address"));
        results.AddRange(SocialSettings.Timeout(Section, Timeout));
        return results;
    }
}

/// <summary>One X account, OAuth 1.0a user context: the app's consumer key pair and the account's access token pair.</summary>
public sealed partial class XOptions : IValidatableObject
{
    public const string Section = "Channels:Social:X";

    public string BaseUrl { get; set; } = "https://api.x.com";
    public string ConsumerKey { get; set; } = "";
    public string ConsumerSecret { get; set; } = "";
    public string AccessToken { get; set; } = "";
    public string AccessTokenSecret { get; set; } = "";

    /// <summary>Optional @handle, only to name the account in deliveries.</summary>
    public string Handle { get; set; } = "";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    private (string Name, string Value)[] Keys =>
        [(nameof(ConsumerKey), ConsumerKey), (nameof(ConsumerSecret), ConsumerSecret), (nameof(AccessToken), AccessToken), (nameof(AccessTokenSecret), AccessTokenSecret)];

    public bool IsConfigured => Keys.All(k => !string.IsNullOrWhiteSpace(k.Value));

    /// <summary>
    /// "x:@handle"; without a handle, the user id every user-context access token starts with
    /// ("x:id:370773112"), which names the account where the consumer key would only name the app.
    /// </summary>
    public string Account
    {
        get
        {
            var handle = Handle.Trim().TrimStart('@');
            if (!IsConfigured)
            {
                return "x";
            }
            if (handle.Length > 0)
            {
                return $"x:@{handle}";
            }
            // Validation has made sure a configured token has this form.
            var userId = UserTokenRegex().Match(AccessToken.Trim());
            return userId.Success ? $"x:id:{userId.Groups[1].Value}" : "x";
        }
    }

    public OAuth1Credentials Credentials => new(ConsumerKey.Trim(), ConsumerSecret.Trim(), AccessToken.Trim(), AccessTokenSecret.Trim());

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var missing = Keys.Where(k => string.IsNullOrWhiteSpace(k.Value)).Select(k => k.Name).ToList();
        if (missing.Count is > 0 and < 4)
        {
            yield return new ValidationResult(
                $"{Section} needs all four of ConsumerKey, ConsumerSecret, AccessToken and AccessTokenSecret, or none to leave X off; missing: {string.Join(", ", missing)}.",
                missing);
        }
        if (!string.IsNullOrWhiteSpace(AccessToken) && !UserTokenRegex().IsMatch(AccessToken.Trim()))
        {
            yield return new ValidationResult(
                $"{Section}:AccessToken is not an OAuth 1.0a access token (they look like 370773112-GmHx…): copy the Access Token, not the Bearer Token, from the app's Keys and tokens page.",
                [nameof(AccessToken)]);
        }
        if (Handle.Length > 0 && !XHandleRegex().IsMatch(Handle))
        {
            yield return new ValidationResult($"{Section}:Handle '{Handle}' is not an X handle: 1 to 15 letters, digits or underscores, e.g. @acme_status.", [nameof(Handle)]);
        }
        foreach (var result in SocialSettings.Origin(Section, nameof(BaseUrl), BaseUrl, "leave it unset for https://api.x.com"))
        {
            yield return result;
        }
        foreach (var result in SocialSettings.Timeout(Section, Timeout))
        {
            yield return result;
        }
    }

    [GeneratedRegex(@"^([0-9]+)-[A-Za-z0-9]+$")]
    private static partial Regex UserTokenRegex();

    [GeneratedRegex(@"^@?[A-Za-z0-9_]{1,15}$")]
    private static partial Regex XHandleRegex();
}

/// <summary>The checks every social account's settings share, worded alike.</summary>
internal static class SocialSettings
{
    public static IEnumerable<ValidationResult> Pair(string section, (string Name, string Value) a, (string Name, string Value) b, string network)
    {
        var hasA = !string.IsNullOrWhiteSpace(a.Value);
        var hasB = !string.IsNullOrWhiteSpace(b.Value);
        if (hasA != hasB)
        {
            var (set, empty) = hasA ? (a.Name, b.Name) : (b.Name, a.Name);
            yield return new ValidationResult(
                $"{section}:{empty} is empty while {section}:{set} is set: set both {a.Name} and {b.Name} to post to {network}, or neither to leave it off.",
                [empty]);
        }
    }

    public static IEnumerable<ValidationResult> Origin(string section, string name, string value, string hint)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"{section}:{name} '{value}' is not an absolute http(s) URL: {hint}.", [name]);
        }
        else if (uri.AbsolutePath.Contains("/api/", StringComparison.OrdinalIgnoreCase) || uri.AbsolutePath.Contains("/xrpc", StringComparison.OrdinalIgnoreCase)
            || uri.AbsolutePath.StartsWith("/2/", StringComparison.Ordinal) || uri.Query.Length > 0)
        {
            yield return new ValidationResult(
                $"{section}:{name} '{value}' must be the server's address only, without an API path or query: {hint}.", [name]);
        }
    }

    public static IEnumerable<ValidationResult> Timeout(string section, TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromSeconds(1) || timeout > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult($"{section}:Timeout '{timeout}' must be between 00:00:01 and 00:10:00, e.g. 00:00:30.", ["Timeout"]);
        }
    }

    /// <summary>The absolute URL of <paramref name="path"/> under a configured origin (which may carry a base path).</summary>
    public static Uri Endpoint(string origin, string path) => new(new Uri(origin.TrimEnd('/') + "/"), path);
}
