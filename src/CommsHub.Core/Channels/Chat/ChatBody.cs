namespace CommsHub.Core.Channels.Chat;

/// <summary>
/// The JSON a chat webhook posts, and what its limits made it leave out of the title, the message and
/// the component list, in that order (the notification fallback, a summary by design, is not counted).
/// </summary>
public sealed record ChatBody(string Json, IReadOnlyList<string> Cuts)
{
    public bool Truncated => Cuts.Count > 0;

    /// <summary>Everything left out, one piece per field cut, or null when nothing was.</summary>
    public string? Cut => Truncated ? string.Join("\n\n", Cuts) : null;
}
