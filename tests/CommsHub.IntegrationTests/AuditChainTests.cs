using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.IntegrationTests;

/// <summary>The audit chain on PostgreSQL: several processes append and chain at once; a direct edit is found.</summary>
public sealed class AuditChainTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public async Task DisposeAsync() => await _infra.DisposeAsync();

    private CommsHubApp StartApp()
    {
        var app = new CommsHubApp(_infra.Settings());
        _ = app.Server;
        return app;
    }

    [Fact]
    public async Task Two_processes_appending_and_chaining_at_once_build_one_unbroken_chain_and_an_edit_is_found()
    {
        await using var first = StartApp();
        await using var second = StartApp();
        using var a = first.Admin();
        using var b = second.Admin();

        // Admin actions on both processes while both chain every second (and on every verify).
        var writes = Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).PostAsync("/api/components", new { name = $"Component {i}" }));
        var verifies = Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).GetJsonAsync("/api/audit/verify"));
        var verified = verifies.ToList();
        await Task.WhenAll(writes.Concat<Task>(verified));
        Assert.All(verified, v => Assert.True(v.Result["valid"]!.GetValue<bool>(), v.Result.ToJsonString()));

        var result = await a.GetJsonAsync("/api/audit/verify");
        Assert.True(result["valid"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(0, result["pending"]!.GetValue<long>());
        await using var scope = first.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var seqs = await db.AuditEntries.Select(e => e.Seq!.Value).OrderBy(s => s).ToListAsync();
        Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
        Assert.True(seqs.Count >= 40);
        Assert.Equal(seqs.Count, result["records"]!.GetValue<long>());

        // Someone with database access rewrites one entry, hash and all: every later link breaks.
        var target = seqs[seqs.Count / 2];
        var entry = await db.AuditEntries.AsNoTracking().FirstAsync(e => e.Seq == target);
        var forged = AuditChain.Hash(target, entry.PrevHash!, entry.At, entry.Actor, entry.Action, entry.Subject, "203.0.113.9", entry.Data);
        await db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET source = '203.0.113.9', hash = {forged} WHERE seq = {target}");

        var broken = await b.GetJsonAsync("/api/audit/verify");
        Assert.False(broken["valid"]!.GetValue<bool>());
        Assert.Equal(target + 1, broken["firstBrokenRecord"]!.GetValue<long>());
    }
}
