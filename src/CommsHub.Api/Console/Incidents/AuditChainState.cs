using CommsHub.Core.Audit;

namespace CommsHub.Api.OperatorConsole.Incidents;

/// <summary>
/// The audit chain's state for the home: the last verification and when it ran. Verifying recomputes
/// every hash since the last checkpoint (the service behind <c>GET /api/audit/verify</c>), which over a
/// big chain takes far longer than a page may, so a page never waits for it: a result older than
/// <see cref="FreshFor"/> starts one verification in the background and the page shows the last
/// result meanwhile (and follows the running one live).
/// </summary>
public sealed class AuditChainState(IServiceScopeFactory scopes, TimeProvider time, ILogger<AuditChainState> logger)
{
    public static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(5);

    private readonly Lock _gate = new();
    private Task? _running;

    public sealed record Checked(AuditVerification Result, DateTimeOffset At, TimeSpan Took);

    /// <summary>The last finished verification in this process; null before the first.</summary>
    public Checked? Last { get; private set; }

    /// <summary>The last verification failed to run (not: found the chain broken).</summary>
    public string? LastError { get; private set; }

    public bool Checking
    {
        get
        {
            lock (_gate)
            {
                return _running is { IsCompleted: false };
            }
        }
    }

    /// <summary>Starts a verification unless one is running or the last is fresh.</summary>
    public void RefreshIfStale()
    {
        lock (_gate)
        {
            if (_running is { IsCompleted: false } || (Last is { } last && time.GetUtcNow() - last.At < FreshFor))
            {
                return;
            }
            _running = Task.Run(VerifyAsync);
        }
    }

    private async Task VerifyAsync()
    {
        var started = time.GetUtcNow();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var chain = scope.ServiceProvider.GetRequiredService<AuditChain>();
            await chain.ChainPendingAsync(CancellationToken.None, wait: true);
            var result = await chain.VerifyAsync(CancellationToken.None);
            var now = time.GetUtcNow();
            Last = new Checked(result, now, now - started);
            LastError = null;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not verify the audit chain for the console");
            LastError = ex.Message;
        }
    }
}
