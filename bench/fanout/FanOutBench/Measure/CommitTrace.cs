using System.Globalization;
using System.Text.RegularExpressions;

namespace FanOutBench.Measure;

/// <summary>
/// Exact transaction counts for one fan-out, from PostgreSQL's statement log. pg_stat_database only
/// counts commits per database, and with nothing to send CommsHub's own background (Hangfire's
/// polling, locks and every-second recurring job, the outbox and audit-chain loops) commits well over
/// 100 times a second, too noisy to subtract from a fan-out of a few hundred commits. For a traced run
/// the bench sets <c>log_min_duration_statement = 0</c> (bind parameters not logged) on the CommsHub database,
/// restarts the processes so every connection has it, and here splits the transactions of the
/// window into what the fan-out did and what runs anyway, with the SQL time of each kind.
/// </summary>
public static partial class CommitTrace
{
    public const string Background = "background: ";
    private const string PoolReset = ": connection back to the pool (DISCARD ALL)";

    /// <summary>
    /// Committed transactions in [from, to] by category, and the SQL time PostgreSQL reported for them
    /// (parse + bind + execute of their statements); a connection's pool reset (DISCARD ALL) counts
    /// with what the connection did before.
    /// </summary>
    public static (Dictionary<string, int> Counts, Dictionary<string, double> Milliseconds) Count(string logPath, long fromOffset, string database,
        DateTimeOffset from, DateTimeOffset to)
    {
        var counts = new Dictionary<string, int>();
        var milliseconds = new Dictionary<string, double>();
        var spent = new Dictionary<int, double>();          // pid → SQL ms of its current transaction (and parse/bind not yet executed)
        var open = new Dictionary<int, List<string>>();     // pid → statements of its explicit transaction
        var lastCategory = new Dictionary<int, string>();   // pid → category of its last transaction
        string? pendingText = null;
        int pendingPid = 0;
        DateTimeOffset pendingAt = default;
        string pendingKind = "";
        double pendingMs = 0;

        void Commit(int pid, DateTimeOffset at, IReadOnlyList<string> statements)
        {
            var previous = lastCategory.GetValueOrDefault(pid);
            var category = Classify(statements, previous);
            if (!category.EndsWith(PoolReset, StringComparison.Ordinal))
            {
                lastCategory[pid] = category;
            }
            if (at >= from && at <= to)
            {
                counts[category] = counts.GetValueOrDefault(category) + 1;
                milliseconds[category] = milliseconds.GetValueOrDefault(category) + spent.GetValueOrDefault(pid);
            }
            spent.Remove(pid);
        }

        void Statement(int pid, DateTimeOffset at, string kind, double ms, string text)
        {
            spent[pid] = spent.GetValueOrDefault(pid) + ms;
            if (kind is "parse" or "bind")
            {
                return; // the execute that follows is the statement
            }
            var head = text.TrimStart();
            if (head.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase) || head.StartsWith("START TRANSACTION", StringComparison.OrdinalIgnoreCase))
            {
                open[pid] = [];
            }
            else if (head.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase))
            {
                if (open.Remove(pid, out var statements))
                {
                    Commit(pid, at, statements);
                }
            }
            else if (head.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase))
            {
                open.Remove(pid);
                spent.Remove(pid);
            }
            else if (open.TryGetValue(pid, out var statements))
            {
                statements.Add(text);
            }
            else
            {
                Commit(pid, at, [text]); // autocommit: one statement, one transaction
            }
        }

        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(fromOffset, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('\t'))
            {
                if (pendingText is not null)
                {
                    pendingText += "\n" + line;
                }
                continue;
            }
            if (pendingText is not null)
            {
                Statement(pendingPid, pendingAt, pendingKind, pendingMs, pendingText);
                pendingText = null;
            }
            var m = LogLine().Match(line);
            if (m.Success && (!m.Groups["db"].Success || m.Groups["db"].Value == database))
            {
                pendingPid = int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture);
                pendingAt = DateTimeOffset.Parse(m.Groups["at"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                pendingKind = m.Groups["kind"].Value;
                pendingMs = m.Groups["ms"].Success ? double.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture) : 0;
                pendingText = m.Groups["sql"].Value;
            }
        }
        if (pendingText is not null)
        {
            Statement(pendingPid, pendingAt, pendingKind, pendingMs, pendingText);
        }
        return (counts.OrderByDescending(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value),
            milliseconds.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 1)));
    }

    public static int FanOutTotal(IReadOnlyDictionary<string, int> counts) =>
        counts.Where(kv => !kv.Key.StartsWith(Background, StringComparison.Ordinal)).Sum(kv => kv.Value);

    private static string Classify(IReadOnlyList<string> statements, string? previous)
    {
        var sql = string.Join("\n", statements);
        bool Has(string s) => sql.Contains(s, StringComparison.OrdinalIgnoreCase);
        if (statements.Count == 1 && Has("DISCARD ALL"))
        {
            // Npgsql resets a connection when it goes back to the pool: it belongs to what the connection did last.
            return previous is null || previous.StartsWith(Background, StringComparison.Ordinal) ? Background + "Hangfire, loops" + PoolReset : "fan-out" + PoolReset;
        }
        if (Has("hangfire") || Has("LISTEN ") || Has("NOTIFY "))
        {
            return Background + "Hangfire";
        }
        if (Has("FILTER (WHERE status = 'queued')"))
        {
            return Background + "bench driver polls";
        }
        if (Has("outbox_messages"))
        {
            return Has("UPDATE") || Has("INSERT") ? "publish: outbox row written/dispatched" : Background + "outbox poll";
        }
        if (Has("audit_entries") && !Has("deliver"))
        {
            return Has("UPDATE") ? "audit chain: chaining new entries" : Background + "audit chain poll";
        }
        if (Has("FROM deliveries") && Has("next_attempt_at <="))
        {
            return Background + "retry / redrive sweep";
        }
        if (Has("INSERT INTO deliveries"))
        {
            return "planner: insert a page of deliveries";
        }
        // A campaign's planner and its senders' personal content.
        if (Has("INSERT INTO campaign_codes"))
        {
            return "campaign planner: assign a page's codes";
        }
        if (Has("FROM campaign_opt_outs") || Has("FROM suppressions"))
        {
            return "campaign planner: opt-outs, suppressions, unsubscribed";
        }
        if (Has("FROM audience_members") && Has("ORDER BY"))
        {
            return "campaign planner: read a page of members";
        }
        if (Has("FROM campaign_codes") && Has("JOIN pool_codes"))
        {
            return "campaign sender: read members' codes";
        }
        if (Has("FROM audience_members"))
        {
            return "campaign sender: read members";
        }
        if (Has("FROM campaign_codes"))
        {
            return "campaign planner: read the page's codes";
        }
        if (Has("FROM campaigns") || Has("UPDATE campaigns"))
        {
            return "campaign: read / update the campaign";
        }
        if (Has("FROM subscribers") && Has("ORDER BY"))
        {
            return "planner: read a page of subscribers";
        }
        if (Has("delivery_attempts"))
        {
            return "sender: record outcomes (deliveries, attempts, audit)";
        }
        if (Has("UPDATE deliveries") && Has("lease_until"))
        {
            // A claim may mark its first requests in flight in the same statement (DeliveryLeases.ClaimAsync).
            return Has("attempts\" + 1") || Has("attempts + 1")
                ? Has("in_flight_marks") ? "sender: claim a batch (lease) and mark its first requests" : "sender: claim a batch (lease)"
                : "sender: renew/defer a lease";
        }
        if (Has("in_flight_marks") && (Has("INSERT") || Has("UPDATE")))
        {
            return "sender: mark requests in flight";
        }
        if (Has("FROM deliveries") && Has("lease_token"))
        {
            return "sender: read the leased batch";
        }
        if (Has("UPDATE deliveries"))
        {
            return "sender: other delivery update";
        }
        if (Has("FROM deliveries"))
        {
            return "other read of deliveries";
        }
        if (Has("FROM subscribers"))
        {
            return "sender: read subscribers";
        }
        if (Has("incident_updates") || Has("FROM incidents"))
        {
            return "read the update / incident";
        }
        if (Has("component"))
        {
            return "read components (status page, webhook body)";
        }
        var first = statements[0].Trim().Split('\n')[0];
        return "other: " + (first.Length > 60 ? first[..60] : first);
    }

    // deploy/local-infra.sh's log_line_prefix '%m [%p] %u@%d ' (timestamps in UTC), with log_min_duration_statement = 0:
    // "2026-11-29 14:44:45.123 UTC [12345] commshub@commshub_<BENCH_NAME> LOG:  duration: 0.050 ms  statement: BEGIN" or
    // "... LOG:  duration: 1.234 ms  execute <unnamed>: SELECT ..." (and parse/bind lines before each execute).
    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?) UTC \[(?<pid>\d+)\] (\S*@(?<db>\S*) )?LOG:  (duration: (?<ms>[0-9.]+) ms  )?(?<kind>statement|execute|parse|bind)[^:]*: (?<sql>.*)$")]
    private static partial Regex LogLine();
}
