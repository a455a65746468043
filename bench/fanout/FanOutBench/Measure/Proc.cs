using System.Diagnostics;
using System.Globalization;

namespace FanOutBench.Measure;

/// <summary>CPU time and memory of processes, read from /proc (Linux only).</summary>
public static class Proc
{
    private static readonly Lazy<double> TicksPerSecond = new(() =>
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException)
        {
            return 100;
        }
    });

    /// <summary>(start time, utime + stime in clock ticks) of a process, or null when it is gone.</summary>
    public static (long Start, long Ticks)? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // Fields after the command: state is [0]; utime [11], stime [12]; starttime [19].
            return (long.Parse(fields[19], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    public static double Seconds(long ticks) => ticks / TicksPerSecond.Value;

    /// <summary>A field of /proc/pid/status in bytes (VmHWM: the peak resident set; VmRSS: the current one).</summary>
    public static long? StatusBytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>
    /// Resets the process's peak resident set (VmHWM) to its current one: <c>echo 5 &gt; /proc/pid/clear_refs</c>
    /// (Linux 4.0+, needs the right to write there). False when it could not.
    /// </summary>
    public static bool ResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>CPU seconds the whole machine spent not idle since boot, all CPUs (/proc/stat).</summary>
    public static double MachineBusySeconds()
    {
        var v = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal
        return Seconds(v.Sum() - v[3] - v[4]);
    }

    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static string? Comm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)).Select(n => int.Parse(n!, CultureInfo.InvariantCulture));

    /// <summary>
    /// The PostgreSQL processes that work for <paramref name="database"/>: its client backends
    /// (process title <c>postgres: user database host(port) state</c>) and the server's shared ones
    /// (postmaster, WAL writer, checkpointer, autovacuum, …). Backends of other databases (another
    /// test run on the same server) are left out.
    /// </summary>
    public static IEnumerable<int> PostgresPids(string database)
    {
        foreach (var pid in AllPids())
        {
            if (Comm(pid) != "postgres" || CommandLine(pid) is not { } cmd)
            {
                continue;
            }
            var parts = cmd.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var isClient = parts.Length >= 4 && parts[0] == "postgres:" && parts[3].Contains('(', StringComparison.Ordinal);
            if (!isClient || parts[2] == database)
            {
                yield return pid;
            }
        }
    }

    public static IEnumerable<int> ByComm(string comm) => AllPids().Where(p => Comm(p) == comm);
}
