using System.Runtime.InteropServices;
using FanOutBench.Host;

namespace FanOutBench.Report;

public static class Machine
{
    public static async Task<Dictionary<string, string>> DescribeAsync(Infra infra, BenchOptions options)
    {
        string Read(string path, Func<string, string> pick)
        {
            try
            {
                return pick(File.ReadAllText(path));
            }
            catch (IOException)
            {
                return "?";
            }
        }

        return new Dictionary<string, string>
        {
            ["date (UTC)"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
            ["cpu"] = Read("/proc/cpuinfo", t => t.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"),
            ["cpus"] = Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["memory"] = Read("/proc/meminfo", t => $"{long.Parse(t.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1048576.0:0.0} GiB"),
            ["kernel"] = Read("/proc/sys/kernel/osrelease", t => t.Trim()),
            [".NET runtime"] = RuntimeInformation.FrameworkDescription,
            ["postgresql"] = await infra.ScalarAsync<string>("SHOW server_version") + " (deploy/local-infra.sh: fsync, synchronous_commit, full_page_writes off)",
            ["rabbitmq"] = await infra.RabbitVersionAsync(),
            ["load average at start"] = Read("/proc/loadavg", t => string.Join(' ', t.Split(' ').Take(3))),
            ["source"] = options.Source,
        };
    }
}
