namespace CommsHub.Core.Subscribers;

/// <summary>
/// One CSV line, split as RFC 4180 reads it (comma-separated, <c>"</c>-quoted fields with <c>""</c> for a
/// quote) but never past its end: a quote left open is an error on that line, not a field that swallows
/// every following line. None of the import's columns holds a line break, so nothing legitimate is lost.
/// </summary>
public static class CsvLine
{
    /// <returns>The fields, or null with <paramref name="error"/> saying where the quoting is wrong.</returns>
    public static List<string>? Split(string line, out string? error)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < line.Length && line[i] == '"')
            {
                var start = i++;
                while (true)
                {
                    if (i >= line.Length)
                    {
                        error = $"the quote opened at column {start + 1} is never closed.";
                        return null;
                    }
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(line[i++]);
                }
                while (i < line.Length && line[i] is ' ' or '\t')
                {
                    i++;
                }
                if (i < line.Length && line[i] != ',')
                {
                    error = $"text follows the closing quote at column {i + 1}; a quote inside a quoted field is written twice (\"\").";
                    return null;
                }
            }
            else
            {
                var end = line.IndexOf(',', i);
                var text = end < 0 ? line[i..] : line[i..end];
                if (text.Contains('"', StringComparison.Ordinal))
                {
                    error = $"a quote in the middle of an unquoted field at column {i + 1 + text.IndexOf('"', StringComparison.Ordinal)}; quote the whole field and write the quote twice (\"\").";
                    return null;
                }
                field.Append(text);
                i = end < 0 ? line.Length : end;
            }
            fields.Add(field.ToString().Trim());
            if (i >= line.Length)
            {
                error = null;
                return fields;
            }
            i++; // the comma
        }
    }
}
