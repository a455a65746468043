namespace CommsHub.Api.Infrastructure.Json;

/// <summary>Picks the known field a misspelt one most likely meant.</summary>
internal static class FieldNames
{
    /// <returns>
    /// The closest of <paramref name="known"/> by edit distance (a swap of two neighbours counts as one
    /// edit; case, '_' and '-' are ignored, so <c>publish_at</c> finds <c>publishAt</c>), or null when
    /// none is within about a third of the name's length.
    /// </returns>
    public static string? Nearest(string unknown, IEnumerable<string> known)
    {
        var target = Normalize(unknown);
        var allowed = Math.Clamp(target.Length / 3, 1, 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var distance = Distance(target, Normalize(name));
            if (distance <= allowed && distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }
        return best;
    }

    private static string Normalize(string name) =>
        string.Concat(name.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant));

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}
