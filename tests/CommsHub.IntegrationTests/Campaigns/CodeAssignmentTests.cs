using CommsHub.Core.Campaigns;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests.Campaigns;

/// <summary>
/// The pool's cursor on PostgreSQL under concurrency: planners of two campaigns drawing on one pool at the same time, and
/// a redelivered planner of the same campaign beside the first, never give a code twice, a member two codes, or burn a
/// code (the cursor counts exactly the codes given); an empty pool gives nothing and moves nothing.
/// </summary>
public sealed class CodeAssignmentTests : IAsyncLifetime
{
    private const int PageSize = 250;
    private const int Pages = 6;
    private Infrastructure _infra = null!;
    private CommsHubApp _app = null!;

    public async Task InitializeAsync()
    {
        _infra = await Infrastructure.CreateAsync();
        _app = new CommsHubApp(_infra.Settings());
        _ = _app.Server; // migrations
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

    // A pool as the import leaves it: codes numbered from 1 in file order, none taken.
    private async Task<CodePool> PoolAsync(int count)
    {
        var pool = new CodePool { Count = count, CreatedAt = DateTimeOffset.UtcNow };
        await WithDbAsync(async db =>
        {
            db.CodePools.Add(pool);
            db.PoolCodes.AddRange(Enumerable.Range(1, count).Select(i => new PoolCode { PoolId = pool.Id, Ordinal = i, Code = $"FW-{i:D5}" }));
            return await db.SaveChangesAsync();
        });
        return pool;
    }

    // Each page in a scope of its own, as each planner has: its own connection and transaction.
    private async Task<HashSet<Guid>> AssignAsync(Guid campaign, Guid pool, IReadOnlyList<Guid> members)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CodeAssignment>().AssignAsync(campaign, pool, members, CancellationToken.None);
    }

    [Fact]
    public async Task Concurrent_planners_on_one_pool_give_each_code_once_and_burn_none()
    {
        var pool = await PoolAsync(2 * PageSize * Pages);
        Guid first = Ids.New(), second = Ids.New();
        var members = new Dictionary<Guid, List<Guid[]>>
        {
            [first] = [.. Enumerable.Range(0, Pages).Select(_ => Enumerable.Range(0, PageSize).Select(_ => Ids.New()).Order().ToArray())],
            [second] = [.. Enumerable.Range(0, Pages).Select(_ => Enumerable.Range(0, PageSize).Select(_ => Ids.New()).Order().ToArray())],
        };

        // Both campaigns' pages at once, and the first campaign's pages a second time beside them (a redelivered plan).
        var runs = members.SelectMany(m => m.Value.Select(page => (Campaign: m.Key, Page: page)))
            .Concat(members[first].Select(page => (Campaign: first, Page: page)))
            .Select(run => Task.Run(() => AssignAsync(run.Campaign, pool.Id, run.Page)))
            .ToList();
        var results = await Task.WhenAll(runs);

        Assert.All(results, served => Assert.Equal(PageSize, served.Count));
        var assigned = await WithDbAsync(db => db.CampaignCodes.AsNoTracking().Where(c => c.CampaignId == first || c.CampaignId == second).ToListAsync());
        Assert.Equal(pool.Count, assigned.Count);
        Assert.Equal(pool.Count, assigned.Select(a => a.CodeId).Distinct().Count());
        foreach (var (campaign, pages) in members)
        {
            Assert.Equal(pages.SelectMany(p => p).Order(), assigned.Where(a => a.CampaignId == campaign).Select(a => a.MemberId).Order());
        }
        var taken = await WithDbAsync(db => db.CodePools.Where(p => p.Id == pool.Id).Select(p => p.Taken).SingleAsync());
        Assert.Equal(pool.Count, taken);
        // Every code of the pool, and only those, was given: none burned by the redelivered plan.
        var codes = await WithDbAsync(db => db.PoolCodes.Where(c => c.PoolId == pool.Id).Select(c => c.Id).ToListAsync());
        Assert.Equal(codes.Order(), assigned.Select(a => a.CodeId).Order());

        // The pool is empty now: a third campaign gets nothing, and the cursor stays.
        var third = await AssignAsync(Ids.New(), pool.Id, [Ids.New(), Ids.New()]);
        Assert.Empty(third);
        Assert.Equal(pool.Count, await WithDbAsync(db => db.CodePools.Where(p => p.Id == pool.Id).Select(p => p.Taken).SingleAsync()));
    }

    [Fact]
    public async Task A_member_who_has_a_code_keeps_it_when_planned_again()
    {
        var pool = await PoolAsync(10);
        var campaign = Ids.New();
        Guid a = Ids.New(), b = Ids.New(), c = Ids.New();
        await AssignAsync(campaign, pool.Id, [a, b]);
        var before = await WithDbAsync(db => db.CampaignCodes.Where(x => x.CampaignId == campaign).ToDictionaryAsync(x => x.MemberId, x => x.CodeId));

        // A re-plan of the page after a crash, now with one more member: only the new one takes a code.
        var served = await AssignAsync(campaign, pool.Id, [a, b, c]);

        Assert.Equal(new[] { a, b, c }.Order(), served.Order());
        var after = await WithDbAsync(db => db.CampaignCodes.Where(x => x.CampaignId == campaign).ToDictionaryAsync(x => x.MemberId, x => x.CodeId));
        Assert.Equal(before[a], after[a]);
        Assert.Equal(before[b], after[b]);
        Assert.Equal(3, after.Values.Distinct().Count());
        Assert.Equal(3, await WithDbAsync(db => db.CodePools.Where(p => p.Id == pool.Id).Select(p => p.Taken).SingleAsync()));
    }
}
