using System.Diagnostics;

namespace FanOutBench.Measure;

/// <summary>
/// CPU seconds of named process groups between two snapshots, and of the rest of the machine
/// (what other processes, e.g. a build on a shared machine, took meanwhile).
/// </summary>
public sealed class CpuMeter(IReadOnlyDictionary<string, Func<IEnumerable<int>>> groups)
{
    public sealed record Snapshot(Dictionary<string, Dictionary<(int Pid, long Start), long>> Groups, double MachineBusy, long Ticks);

    public Snapshot Take()
    {
        var taken = new Dictionary<string, Dictionary<(int, long), long>>();
        foreach (var (name, pids) in groups)
        {
            var d = new Dictionary<(int, long), long>();
            foreach (var pid in pids())
            {
                if (Proc.Stat(pid) is { } s)
                {
                    d[(pid, s.Start)] = s.Ticks;
                }
            }
            taken[name] = d;
        }
        return new Snapshot(taken, Proc.MachineBusySeconds(), Stopwatch.GetTimestamp());
    }

    /// <summary>
    /// CPU seconds per group from a to b. A process that started meanwhile counts in full; one that
    /// ended meanwhile is lost (a short-lived database connection, say). "other" is the machine's busy
    /// time minus all groups; "wall" the elapsed seconds and "capacity" wall × CPUs.
    /// </summary>
    public static Dictionary<string, double> Diff(Snapshot a, Snapshot b)
    {
        var result = new Dictionary<string, double>();
        var ours = 0.0;
        foreach (var (name, after) in b.Groups)
        {
            var before = a.Groups.GetValueOrDefault(name) ?? [];
            long ticks = 0;
            foreach (var (key, t) in after)
            {
                ticks += t - before.GetValueOrDefault(key, 0);
            }
            var seconds = Proc.Seconds(ticks);
            result[name] = Math.Round(seconds, 2);
            ours += seconds;
        }
        var wall = (b.Ticks - a.Ticks) / (double)Stopwatch.Frequency;
        result["other"] = Math.Round(Math.Max(0, b.MachineBusy - a.MachineBusy - ours), 2);
        result["wall"] = Math.Round(wall, 2);
        result["capacity"] = Math.Round(wall * Environment.ProcessorCount, 2);
        return result;
    }
}
