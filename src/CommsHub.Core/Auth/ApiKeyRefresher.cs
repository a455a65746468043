using CommsHub.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Auth;

/// <summary>
/// Keeps <see cref="ApiKeyStore"/> in step with the database in every API process: re-reads the active keys
/// (so a key revoked or made through another process is refused or accepted here within one interval) and
/// writes the uses gathered since the last pass in one statement. A poll rather than a bus message: it needs
/// no broker, and bounds the delay even when a message would be lost.
/// </summary>
public sealed class ApiKeyRefresher(ApiKeyStore store, IServiceScopeFactory scopes, IOptions<ApiKeyOptions> options, TimeProvider time,
    ILogger<ApiKeyRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the injected clock: a test's frozen clock must not stop revocations from arriving.
        using var timer = new PeriodicTimer(options.Value.KeyRefreshInterval, TimeProvider.System);
        var failing = false;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PassAsync(stoppingToken);
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The previous copy stays in use: the admin API needs the database anyway, and keys keep working when it returns.
                if (!failing)
                {
                    logger.LogWarning(ex, "Could not refresh the API keys from the database; using the copy read at {Time}.", time.GetUtcNow());
                }
                failing = true;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            // The uses of the last seconds, so a key used just before a deployment does not look unused.
            await using var scope = scopes.CreateAsyncScope();
            await store.FlushUsesAsync(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>(), cancellationToken);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not record the last uses of API keys at shutdown.");
        }
    }

    private async Task PassAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        await store.RefreshAsync(db, cancellationToken);
        await store.FlushUsesAsync(db, cancellationToken);
    }
}
