using System.Text.RegularExpressions;

namespace FanOutBench.Host;

/// <summary>
/// Which database and RabbitMQ virtual host this bench owns: <c>BENCH_NAME</c> (default <c>fanout</c>) gives
/// database <c>commshub_&lt;name&gt;</c> and virtual host <c>&lt;name&gt;</c>. Every scenario drops and recreates both, so two
/// checkouts benchmarking against the same PostgreSQL and RabbitMQ must use different names or they wreck each other's runs.
/// </summary>
public static partial class BenchName
{
    public static string Name { get; } = Read();

    public static string Database => "commshub_" + Name;

    public static string VirtualHost => Name;

    /// <summary>The scratch virtual host of the MassTransit vs RabbitMQ.Client comparison.</summary>
    public static string BrokerVirtualHost => Name + "-broker";

    private static string Read()
    {
        var name = Environment.GetEnvironmentVariable("BENCH_NAME");
        if (string.IsNullOrWhiteSpace(name))
        {
            return "fanout";
        }
        // The name goes unquoted into ALTER DATABASE statements and into PostgreSQL's log prefix the trace parses.
        return Valid().IsMatch(name)
            ? name
            : throw new ArgumentException($"BENCH_NAME '{name}' must be lower-case letters, digits and '_' (at most 40, starting with a letter)");
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,39}$")]
    private static partial Regex Valid();
}
