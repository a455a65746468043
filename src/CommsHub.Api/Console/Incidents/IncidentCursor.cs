using System.Globalization;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>The incident list's keyset position: the last row's group (open 0, closed 1), start and id.</summary>
public sealed record IncidentCursor(int Rank, DateTimeOffset CreatedAt, Guid Id)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Rank}.{CreatedAt.UtcTicks}.{Id:N}");

    public static bool TryParse(string? text, out IncidentCursor cursor)
    {
        cursor = null!;
        var parts = text?.Split('.');
        if (parts is not { Length: 3 } || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rank)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !Guid.TryParseExact(parts[2], "N", out var id))
        {
            return false;
        }
        cursor = new IncidentCursor(rank, new DateTimeOffset(ticks, TimeSpan.Zero), id);
        return true;
    }
}
