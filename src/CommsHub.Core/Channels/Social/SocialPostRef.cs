namespace CommsHub.Core.Channels.Social;

/// <summary>
/// Where a post landed, enough to reply to it later. Mastodon and X need only the status id; a Bluesky
/// reply names the record's at:// URI and its CID (the exact version replied to), and its
/// <see cref="Id"/> is the record key, the URI's last segment.
/// </summary>
public sealed record SocialPostRef(string Id, string? Uri = null, string? Cid = null)
{
    /// <summary>Delivery.ProviderMessageId holds at most this many characters.</summary>
    public const int MaxLength = 200;

    public string Id { get; init; } = !string.IsNullOrEmpty(Id) ? Id : throw new ArgumentException("A post id is required.", nameof(Id));

    /// <summary>
    /// Space-separated tokens, '%' and ' ' percent-escaped in each, an empty token meaning absent; the
    /// token count tells the forms apart:
    /// <c>Id</c> (Mastodon, X) · <c>Uri Cid</c> (Bluesky: the Id is the URI's last segment, so it is not
    /// repeated; a did:plc post is about 130 characters) · <c>Id Uri Cid</c> (anything else).
    /// </summary>
    public string Serialize()
    {
        if (string.IsNullOrEmpty(Uri) && string.IsNullOrEmpty(Cid))
        {
            return Escape(Id);
        }
        if (!string.IsNullOrEmpty(Uri) && !string.IsNullOrEmpty(Cid) && !Id.Contains('/', StringComparison.Ordinal)
            && Uri.EndsWith("/" + Id, StringComparison.Ordinal))
        {
            return Escape(Uri) + " " + Escape(Cid);
        }
        return string.Join(' ', Escape(Id), Escape(Uri ?? ""), Escape(Cid ?? ""));
    }

    /// <summary>The reference <see cref="Serialize"/> wrote, or null for anything else (empty, another provider's id format).</summary>
    public static SocialPostRef? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var tokens = text.Split(' ').Select(Unescape).ToArray();
        switch (tokens.Length)
        {
            case 1:
                return new SocialPostRef(tokens[0]);
            case 2:
                var slash = tokens[0].LastIndexOf('/');
                return slash < 0 || slash == tokens[0].Length - 1 || tokens[1].Length == 0
                    ? null
                    : new SocialPostRef(tokens[0][(slash + 1)..], tokens[0], tokens[1]);
            case 3 when tokens[0].Length > 0:
                return new SocialPostRef(tokens[0], NullIfEmpty(tokens[1]), NullIfEmpty(tokens[2]));
            default:
                return null;
        }
    }

    private static string Escape(string value) => value.Replace("%", "%25", StringComparison.Ordinal).Replace(" ", "%20", StringComparison.Ordinal);

    private static string Unescape(string token) => token.Replace("%20", " ", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
