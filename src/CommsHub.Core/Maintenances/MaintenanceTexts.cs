using System.Globalization;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Maintenances;

/// <summary>The words of the messages a maintenance sends by itself, with times in the status page's time zone.</summary>
public sealed class MaintenanceTexts(IOptions<StatusPageOptions> options)
{
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public string Window(Incident m) => $"{When(m.ScheduledFor!.Value)} to {When(m.ScheduledUntil!.Value)}";

    public string Reminder(Incident m, string announcement, TimeSpan lead)
    {
        var text = $"Reminder: this maintenance begins in {Duration(lead)}, scheduled {Window(m)}.";
        return string.IsNullOrWhiteSpace(announcement) ? text : text + "\n\n" + announcement;
    }

    public string Started(Incident m) => $"The scheduled maintenance is now in progress. It is planned to end {When(m.ScheduledUntil!.Value)}.";

    public const string Completed = "The scheduled maintenance has been completed.";

    public string Rescheduled(Incident m) => $"This maintenance has been rescheduled: it is now planned {Window(m)}.";

    public const string Cancelled = "This scheduled maintenance has been cancelled.";

    public string When(DateTimeOffset t)
    {
        var local = TimeZoneInfo.ConvertTime(t, _zone);
        var zone = _zone.Id is "Etc/UTC" or "UTC" ? "UTC" : _zone.Id;
        return local.ToString("ddd d MMM yyyy HH:mm", CultureInfo.InvariantCulture) + " " + zone;
    }

    /// <summary>"1 hour", "2 days", "1 hour 30 minutes", "45 seconds": the largest unit and the next one when it is not zero; smaller ones are dropped, not rounded.</summary>
    public static string Duration(TimeSpan span)
    {
        var seconds = (long)Math.Round(span.TotalSeconds);
        if (seconds < 1)
        {
            return "moments";
        }
        var parts = new List<string>();
        foreach (var (unit, size) in new[] { ("day", 86_400L), ("hour", 3_600L), ("minute", 60L), ("second", 1L) })
        {
            var n = seconds / size;
            if (n > 0 && parts.Count < 2)
            {
                parts.Add(n == 1 ? $"1 {unit}" : $"{n} {unit}s");
                seconds -= n * size;
            }
            else if (parts.Count > 0)
            {
                break;
            }
        }
        return string.Join(" ", parts);
    }
}
