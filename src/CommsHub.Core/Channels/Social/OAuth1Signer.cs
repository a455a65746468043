using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CommsHub.Core.Channels.Social;

public sealed record OAuth1Credentials(string ConsumerKey, string ConsumerSecret, string Token, string TokenSecret);

/// <summary>
/// OAuth 1.0a HMAC-SHA1 request signing (RFC 5849 §3.4), as X requires for user-context posting.
/// The clock and the nonce are injected so a signature can be checked against a known vector.
/// </summary>
public sealed class OAuth1Signer(TimeProvider time, Func<string> nonce)
{
    public OAuth1Signer(TimeProvider time) : this(time, RandomNonce) { }

    /// <summary>
    /// The <c>Authorization: OAuth …</c> header value for a request. <paramref name="formParameters"/> are
    /// the request's form-encoded body parameters, if any (a JSON body is never signed); query
    /// parameters are taken from <paramref name="url"/>.
    /// </summary>
    public string AuthorizationHeader(HttpMethod method, Uri url, OAuth1Credentials credentials,
        IEnumerable<KeyValuePair<string, string>>? formParameters = null)
    {
        var oauth = new List<KeyValuePair<string, string>>
        {
            new("oauth_consumer_key", credentials.ConsumerKey),
            new("oauth_nonce", nonce()),
            new("oauth_signature_method", "HMAC-SHA1"),
            new("oauth_timestamp", time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
            new("oauth_token", credentials.Token),
            new("oauth_version", "1.0"),
        };
        var signature = Sign(method, url, oauth.Concat(formParameters ?? []), credentials.ConsumerSecret, credentials.TokenSecret);
        oauth.Add(new("oauth_signature", signature));
        return "OAuth " + string.Join(", ", oauth.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Encode(p.Key)}=\"{Encode(p.Value)}\""));
    }

    /// <summary>Base64 HMAC-SHA1 of the signature base string, keyed by encode(consumer secret)&amp;encode(token secret).</summary>
    public static string Sign(HttpMethod method, Uri url, IEnumerable<KeyValuePair<string, string>> parameters, string consumerSecret, string tokenSecret)
    {
        var key = Encoding.ASCII.GetBytes($"{Encode(consumerSecret)}&{Encode(tokenSecret)}");
        // SHA-1 is what OAuth 1.0a and X prescribe; as an HMAC it is still unbroken.
#pragma warning disable CA5350
        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.ASCII.GetBytes(BaseString(method, url, parameters))));
#pragma warning restore CA5350
    }

    /// <summary>METHOD &amp; encode(scheme://host[:port]/path) &amp; encode(the parameters, each encoded, sorted by name then value, joined).</summary>
    public static string BaseString(HttpMethod method, Uri url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var normalized = parameters.Concat(QueryParameters(url))
            .Select(p => (Key: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}");
        // GetLeftPart lower-cases scheme and host and drops a default port, as §3.4.1.2 asks.
        return $"{method.Method.ToUpperInvariant()}&{Encode(url.GetLeftPart(UriPartial.Path))}&{Encode(string.Join('&', normalized))}";
    }

    /// <summary>RFC 3986 percent-encoding of the UTF-8 bytes: everything but A–Z a–z 0–9 - . _ ~, hex in upper case.</summary>
    public static string Encode(string value)
    {
        var builder = new StringBuilder(value.Length * 3);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }

    public static string RandomNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    // A query is form-encoded (§3.4.1.3.1): '+' is a space.
    private static IEnumerable<KeyValuePair<string, string>> QueryParameters(Uri url) =>
        url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(Decode(p[0]), p.Length > 1 ? Decode(p[1]) : ""));

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
}
