using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Deliveries;

public sealed class PipelineOptions
{
    public const string Section = "Deliveries";

    /// <summary>
    /// How many of the senders' database writes (claims and outcome records) one process runs at once; null is the
    /// machine's processor count, at least 2. The senders' provider requests are not limited by it.
    /// </summary>
    public int? DatabaseConcurrency { get; set; }

    public int EffectiveDatabaseConcurrency => DatabaseConcurrency ?? Math.Max(2, Environment.ProcessorCount);
}

/// <summary>
/// Bounds the senders' claims and outcome records in one process to <see cref="PipelineOptions.DatabaseConcurrency"/>
/// at a time. Every batch sent at once (16 email batches per worker) otherwise keeps a PostgreSQL backend busy, and
/// the operating system shares the database's processors among backends, not among callers: a person's publish got
/// one slice in seventeen while a large fan-out ran, and queued behind it until the API's connection pool ran out
/// (docs/benchmarks.md, "People before the pipeline"). PostgreSQL cannot run more statements at once than it has
/// processors anyway, so the fan-out loses little; what waits here is a sender, not a person.
/// </summary>
public sealed class PipelineGate(IOptions<PipelineOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.EffectiveDatabaseConcurrency);

    public async ValueTask<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    public readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }
}

public static class PipelineGateSetup
{
    public static IServiceCollection AddPipelineGate(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section)
            .Validate(o => o.DatabaseConcurrency is null or > 0, "Deliveries:DatabaseConcurrency must be a positive number (or unset: the processor count).")
            .ValidateOnStart();
        services.AddSingleton<PipelineGate>();
        return services;
    }
}
