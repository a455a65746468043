using System.Security.Cryptography;
using System.Text;

namespace CommsHub.Testing;

/// <summary>
/// <c>X-Twilio-Signature</c> computed as Twilio documents it, independently of the SDK under test:
/// the full URL, then each POST parameter's name and value, sorted by name (case-sensitive, as Unix
/// sort), all signed with HMAC-SHA1 keyed by the Auth Token, base64-encoded.
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }
        // SHA-1 is not our choice: it is the algorithm Twilio signs Auth Token webhooks with.
#pragma warning disable CA5350
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
#pragma warning restore CA5350
    }
}
