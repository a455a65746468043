using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using CommsHub.Core.Telemetry;

namespace CommsHub.Tests.Observability;

/// <summary>Metric names as Prometheus sees them: scraped from /metrics, or declared by CommsHub's meter.</summary>
internal static partial class MetricNames
{
    /// <summary>Every family a scrape shows (histograms by their base name and with their _bucket/_sum/_count series).</summary>
    public static HashSet<string> Scraped(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Sample().Matches(exposition))
        {
            names.Add(m.Groups[1].Value);
        }
        foreach (var name in names.ToList())
        {
            names.Add(Histogram().Replace(name, ""));
        }
        return names;
    }

    /// <summary>What CommsHub's meter declares, under the names the Prometheus exporter gives them.</summary>
    public static HashSet<string> Declared()
    {
        _ = CommsHubMetrics.Meter; // the instruments are made with the class
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == CommsHubMetrics.Name)
                {
                    lock (names)
                    {
                        names.Add(PrometheusName(instrument));
                    }
                }
            },
        };
        listener.Start();
        return names;
    }

    private static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        if (instrument.Unit == "s" && !name.EndsWith("_seconds", StringComparison.Ordinal))
        {
            name += "_seconds";
        }
        var isCounter = instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var t
                        && (t == typeof(Counter<>) || t == typeof(ObservableCounter<>));
        return isCounter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>The metric names a PromQL expression or a dashboard mentions (CommsHub's and the instrumentations' prefixes).</summary>
    public static IEnumerable<string> Used(string text) =>
        Mentioned().Matches(text).Select(m => m.Value).Distinct();

    public static string Family(string name) => Histogram().Replace(name, "");

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex Histogram();

    [GeneratedRegex(@"\b(?:commshub|http_server|http_client|messaging_masstransit|dotnet|db_client|kestrel|aspnetcore)_[a-z0-9_]+\b")]
    private static partial Regex Mentioned();
}
