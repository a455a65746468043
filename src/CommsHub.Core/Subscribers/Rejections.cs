namespace CommsHub.Core.Subscribers;

/// <summary>
/// An import's rejected lines, bounded: a file of a million bad lines answers with the first
/// <see cref="Kept"/> and a count, and no error echoes more than <see cref="MaxErrorLength"/> characters of
/// what was sent, so the answer stays small whatever the file.
/// </summary>
public sealed class Rejections
{
    public const int Kept = 1000;
    public const int MaxErrorLength = 300;

    // Ordered by line, the highest last: the list keeps the lowest lines whatever order they are found in.
    private readonly SortedList<int, string> _kept = [];

    public int Count { get; private set; }

    public void Add(int line, string error)
    {
        Count++;
        if (_kept.Count >= Kept)
        {
            if (line >= _kept.Keys[^1])
            {
                return;
            }
            _kept.RemoveAt(_kept.Count - 1);
        }
        _kept[line] = error.Length > MaxErrorLength ? string.Concat(error.AsSpan(0, MaxErrorLength - 1), "…") : error;
    }

    public List<ImportRejection> First() => _kept.Select(r => new ImportRejection(r.Key, r.Value)).ToList();
}
