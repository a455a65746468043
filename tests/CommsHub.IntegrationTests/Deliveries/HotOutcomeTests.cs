using System.Text.RegularExpressions;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Deliveries;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests.Deliveries;

/// <summary>
/// Recording a provider's answer changes no indexed column of <c>deliveries</c>, so PostgreSQL writes each row's new
/// version on its own page with no index entry (a HOT update) instead of one entry in every index of the table; the
/// batch's <see cref="OpenBatch"/> is what says it still holds queued deliveries, and it closes with the last of them.
/// </summary>
public sealed partial class HotOutcomeTests : IAsyncLifetime
{
    private const int BatchSize = 1000;
    private static readonly Guid UpdateId = Guid.NewGuid();
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        // The API role alone: no schedules, consumers or redrive whose transactions would hold back the pruning a
        // heap-only update needs (what the count below measures is the table, not how busy the background was).
        var settings = _infra.Settings();
        settings["Roles"] = "api";
        _app = new CommsHubApp(settings);
        _ = _app.Server; // migrations
        // Two batches as a plan writes them (its writer, its open batches); no command is sent for them.
        for (var batch = 1; batch <= 2; batch++)
        {
            await using var scope = _app.Services.CreateAsyncScope();
            var b = batch;
            await scope.ServiceProvider.GetRequiredService<IDeliveryWriter>().InsertQueuedAsync(UpdateId, Guid.NewGuid(), DeliveryKind.IncidentUpdate,
                Channel.Email, b, [.. Enumerable.Range(0, BatchSize).Select(i => new PlannedRecipient(Guid.NewGuid(), $"reader{b}-{i}@example.com"))],
                DateTimeOffset.UtcNow, CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _infra.DisposeAsync();
    }

    private async Task<T> WithDbAsync<T>(Func<CommsHubDbContext, Task<T>> action)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }

    private sealed record Updates(long Value, long Hot);

    // The table's update counters as the statistics collector has them (a backend reports them once idle, within seconds).
    private Task<Updates> UpdatesAsync() => WithDbAsync(db => db.Database.SqlQueryRaw<Updates>(
        "SELECT n_tup_upd AS value, n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'deliveries'").SingleAsync());

    private async Task<Updates> UpdatesReachingAsync(long count)
    {
        Updates now = new(0, 0);
        await Eventually.HoldsAsync(async () => (now = await UpdatesAsync()).Value >= count, $"the statistics count {count} updates of deliveries");
        return now;
    }

    [GeneratedRegex(@"\b(status|provider|provider_message_id|sent_at|delivered_at|last_error|rendered|lease_token|lease_until|previous_lease_token|attempts)\b")]
    private static partial Regex OutcomeColumns();

    [Fact]
    public async Task No_index_of_deliveries_names_a_column_a_claim_or_an_outcome_writes()
    {
        var indexes = await WithDbAsync(db => db.Database.SqlQueryRaw<string>(
            "SELECT indexdef AS \"Value\" FROM pg_indexes WHERE tablename = 'deliveries'").ToListAsync());

        Assert.Contains(indexes, i => i.Contains("ix_deliveries_batches", StringComparison.Ordinal));
        Assert.All(indexes, i => Assert.False(OutcomeColumns().IsMatch(i), i));
    }

    [Fact]
    public async Task An_accepted_batch_is_recorded_in_place_and_closes_its_open_batch()
    {
        Assert.Equal(2, await WithDbAsync(db => db.OpenBatches.CountAsync(b => b.UpdateId == UpdateId)));
        await using var scope = _app.Services.CreateAsyncScope();
        var leases = scope.ServiceProvider.GetRequiredService<DeliveryLeases>();
        var before = await UpdatesAsync();
        var lease = await leases.ClaimAsync(UpdateId, Channel.Email, 1, CancellationToken.None);
        Assert.Equal(BatchSize, lease.Deliveries.Count);
        var claimed = await UpdatesReachingAsync(before.Value + BatchSize);

        Assert.Equal(BatchSize, await leases.CompleteAsync(lease, new SendResult(DeliveryStatus.Sent, "sendgrid", "msg-batch-1", 202), CancellationToken.None));
        var recorded = await UpdatesReachingAsync(claimed.Value + BatchSize);

        // Each row's answer is its own truth, as before: status, provider and message id on the delivery.
        var rows = await WithDbAsync(db => db.Deliveries.AsNoTracking().Where(d => d.UpdateId == UpdateId && d.Batch == 1).ToListAsync());
        Assert.All(rows, d => Assert.Equal((DeliveryStatus.Sent, "msg-batch-1", (Guid?)null), (d.Status, d.ProviderMessageId, d.LeaseToken)));
        // Heap-only: a page's dead versions are pruned when it fills, unless a snapshot still needs them (another
        // transaction of the app's background jobs), so not every one; before, none was.
        var hot = recorded.Hot - claimed.Hot;
        Assert.True(hot >= BatchSize / 2, $"{hot} of {BatchSize} outcome updates were heap-only");
        // The settled batch is closed; the other still holds queued deliveries.
        Assert.Equal([2], await WithDbAsync(db => db.OpenBatches.Where(b => b.UpdateId == UpdateId).Select(b => b.Batch).ToListAsync()));
    }
}
