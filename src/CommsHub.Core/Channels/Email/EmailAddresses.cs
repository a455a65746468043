using System.Net.Mail;

namespace CommsHub.Core.Channels.Email;

public static class EmailAddresses
{
    /// <summary>Normalises a subscriber address: trimmed, lower-cased, a single plain address.</summary>
    public static bool TryNormalize(string? input, out string normalized)
    {
        normalized = "";
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 254 || text.Contains(' ') || text.Contains('<'))
        {
            return false;
        }
        if (!MailAddress.TryCreate(text, out var address) || address.Address != text || !address.Host.Contains('.'))
        {
            return false;
        }
        normalized = address.Address.ToLowerInvariant();
        return true;
    }

    public static bool TryParseSender(string input, out string address, out string? displayName)
    {
        address = "";
        displayName = null;
        if (!MailAddress.TryCreate(input.Trim(), out var parsed))
        {
            return false;
        }
        address = parsed.Address;
        displayName = string.IsNullOrWhiteSpace(parsed.DisplayName) ? null : parsed.DisplayName;
        return true;
    }
}
