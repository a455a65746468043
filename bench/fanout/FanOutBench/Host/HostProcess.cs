using System.Diagnostics;

namespace FanOutBench.Host;

/// <summary>
/// A CommsHub process (the API or the worker) started from its publish directory, as the image
/// runs it (<c>WORKDIR /app</c>): configured through environment variables given to it alone, its
/// output in a log file. The pid is the dotnet process itself (the shell execs it), so /proc/pid
/// measures CommsHub and nothing else.
/// </summary>
public sealed class HostProcess
{
    private static readonly HashSet<HostProcess> Live = [];
    private readonly Process _process;

    private HostProcess(string name, Process process, string log)
    {
        Name = name;
        _process = process;
        Log = log;
    }

    public string Name { get; }
    public string Log { get; }
    public int Pid => _process.Id;
    public bool Exited => _process.HasExited;

    public static HostProcess Start(string name, string directory, string dll, IReadOnlyDictionary<string, string> env, string args, string log)
    {
        var psi = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec dotnet {dll} {args} >>'{log}' 2>&1 </dev/null");
        foreach (var (key, value) in env)
        {
            psi.Environment[key] = value;
        }
        var started = new HostProcess(name, Process.Start(psi) ?? throw new InvalidOperationException($"could not start {name}"), log);
        lock (Live)
        {
            Live.Add(started);
        }
        return started;
    }

    /// <summary>When the bench itself is stopped (a time-out, Ctrl-C): no CommsHub process outlives it.</summary>
    public static void KillAll()
    {
        lock (Live)
        {
            foreach (var p in Live.Where(p => !p._process.HasExited))
            {
                p._process.Kill();
            }
            Live.Clear();
        }
    }

    /// <summary>SIGKILL: a crash, no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        lock (Live)
        {
            Live.Remove(this);
        }
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Sends a signal by name (STOP pauses the process, CONT resumes it).</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM (a graceful stop), then SIGKILL after <paramref name="grace"/>.</summary>
    /// <returns>True when the process exited by itself within <paramref name="grace"/>; false when it had to be killed.</returns>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        lock (Live)
        {
            Live.Remove(this);
        }
        if (_process.HasExited)
        {
            return true;
        }
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            return false;
        }
    }

    /// <summary>The exit code, once the process has exited.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public string Tail(int lines = 30)
    {
        try
        {
            return string.Join('\n', File.ReadLines(Log).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
