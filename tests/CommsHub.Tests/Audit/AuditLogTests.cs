using System.Net;
using CommsHub.Core.Audit;
using CommsHub.Core.Auth;
using CommsHub.Core.Scheduling;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Audit;

/// <summary>The tamper-evident log on the embedded default: what is recorded, and that any edit of it is found.</summary>
public sealed class AuditLogTests : SqliteAppTest
{
    // The test drives the chain itself; the recurring job would only do the same sooner.
    protected override Dictionary<string, string?> Settings() => new() { ["Scheduling:Recurring:audit-chain"] = "-" };

    private async Task<string> PublishToAsync(params string[] emails)
    {
        foreach (var email in emails)
        {
            await Admin.SubscribeAsync(email);
        }
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Playback outage", message = "We are investigating." });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();
        await Eventually.HoldsAsync(async () => (await Admin.AllDeliveriesAsync($"updateId={updateId}")).Count(d => d["status"]!.GetValue<string>() == "sandboxed") == emails.Length,
            "every delivery is settled");
        return updateId;
    }

    private async Task<System.Text.Json.Nodes.JsonNode> VerifyAsync() => await Admin.GetJsonAsync("/api/audit/verify");

    [Fact]
    public async Task Every_attempt_is_recorded_with_its_delivery_and_every_state_change_is_audited()
    {
        var updateId = await PublishToAsync("ann@example.com", "bob@example.com", "cy@example.com");

        // The three went in one (sandboxed) request: one attempt row lists them.
        var attempts = await WithDbAsync(db => db.DeliveryAttempts.AsNoTracking().ToListAsync());
        var attempt = Assert.Single(attempts);
        Assert.Equal(1, attempt.Number);
        Assert.Equal("sandbox", attempt.Provider);
        Assert.Equal(Core.Common.DeliveryStatus.Sandboxed, attempt.Outcome);
        var deliveryIds = await WithDbAsync(db => db.Deliveries.Where(d => d.UpdateId == Guid.Parse(updateId)).Select(d => d.Id).ToListAsync());
        Assert.Equal(deliveryIds.Order(), attempt.DeliveryIds.Order());

        var sent = (await Admin.GetJsonAsync("/api/audit?action=delivery.sandboxed"))["items"]!.AsArray();
        var audited = sent.SelectMany(e => e!["data"]!["deliveries"]!.AsArray().Select(d => Guid.Parse(d!.GetValue<string>()))).ToList();
        Assert.Equal(deliveryIds.Order(), audited.Order());
        Assert.All(sent, e => Assert.Equal("system", e!["actor"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Admin_actions_are_recorded_with_the_key_name_what_when_and_from_where_but_no_address()
    {
        await Admin.SubscribeAsync("ann@example.com");
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Checkout errors", message = "Investigating." });
        await Admin.PostAsync("/api/incidents", new { title = "" }, HttpStatusCode.BadRequest);

        var posts = (await Admin.GetJsonAsync("/api/audit?action=admin.post"))["items"]!.AsArray();
        Assert.Equal(3, posts.Count);
        // The configured key Auth:AdminApiKeys:0.
        Assert.All(posts, p => Assert.Equal("key:config-0", p!["actor"]!.GetValue<string>()));
        // From where: the client's address (the in-process test server has no socket, so it is empty here).
        Assert.All(posts, p => Assert.True(p!.AsObject().ContainsKey("source")));
        var created = posts.Single(p => p!["data"]!["route"]!.GetValue<string>() == "/api/incidents/" && p["data"]!["status"]!.GetValue<int>() == 201);
        Assert.Equal($"/api/incidents/{incident["id"]}", created!["data"]!["location"]!.GetValue<string>());
        Assert.Contains(posts, p => p!["data"]!["status"]!.GetValue<int>() == 400);
        // Bodies are not kept: the log holds no address.
        var whole = (await Admin.GetJsonAsync("/api/audit?limit=1000")).ToJsonString();
        Assert.DoesNotContain("ann@example.com", whole);
        // Reading is not an action.
        Assert.Empty((await Admin.GetJsonAsync("/api/audit?action=admin.get"))["items"]!.AsArray());
    }

    [Fact]
    public async Task An_untouched_log_verifies()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        var result = await VerifyAsync();
        Assert.True(result["valid"]!.GetValue<bool>(), result.ToJsonString());
        var total = await WithDbAsync(db => db.AuditEntries.CountAsync());
        Assert.Equal(total, result["records"]!.GetValue<long>());
        Assert.Null(result["firstBrokenRecord"]?.GetValue<long?>());
        Assert.Equal(64, result["headHash"]!.GetValue<string>().Length);
    }

    [Fact]
    public async Task A_changed_record_is_found()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        await VerifyAsync();
        var target = await WithDbAsync(db => db.AuditEntries.Where(e => e.Action == "delivery.sandboxed").Select(e => e.Seq!.Value).FirstAsync());
        await WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET data = replace(data, 'sandboxed', 'sent') WHERE seq = {target}"));

        var result = await VerifyAsync();
        Assert.False(result["valid"]!.GetValue<bool>());
        Assert.Equal(target, result["firstBrokenRecord"]!.GetValue<long>());
        Assert.Equal(target - 1, result["records"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_deleted_record_is_found()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        await VerifyAsync();
        await WithDbAsync(db => db.Database.ExecuteSqlAsync($"DELETE FROM audit_entries WHERE seq = 2"));

        var result = await VerifyAsync();
        Assert.False(result["valid"]!.GetValue<bool>());
        Assert.Equal(2, result["firstBrokenRecord"]!.GetValue<long>());
        Assert.Contains("missing", result["problem"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reordered_records_are_found_even_with_their_hashes_moved_along()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        await VerifyAsync();
        // Swap records 2 and 3 entirely (place, links and hashes), as someone rewriting history would.
        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("""
            UPDATE audit_entries SET seq = -2 WHERE seq = 2;
            UPDATE audit_entries SET seq = 2 WHERE seq = 3;
            UPDATE audit_entries SET seq = 3 WHERE seq = -2;
            """));

        var result = await VerifyAsync();
        Assert.False(result["valid"]!.GetValue<bool>());
        Assert.Equal(2, result["firstBrokenRecord"]!.GetValue<long>());
    }

    [Fact]
    public async Task Erasing_a_subscriber_keeps_the_chain_valid()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        var ann = (await Admin.GetJsonAsync("/api/subscribers?channel=email"))["items"]!.AsArray()
            .First(s => s!["address"]!.GetValue<string>() == "ann@example.com")!["id"]!.GetValue<string>();
        Assert.True((await VerifyAsync())["valid"]!.GetValue<bool>());

        using var erase = await Admin.DeleteAsync($"/api/subscribers/{ann}");
        Assert.Equal(HttpStatusCode.NoContent, erase.StatusCode);

        var result = await VerifyAsync();
        Assert.True(result["valid"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Single((await Admin.GetJsonAsync($"/api/audit?action=admin.delete&subject={ann}"))["items"]!.AsArray());
        Assert.DoesNotContain("ann@example.com", (await Admin.GetJsonAsync("/api/audit?limit=1000")).ToJsonString());
    }

    [Fact]
    public async Task Pruning_old_records_keeps_the_rest_verifiable_from_a_checkpoint()
    {
        await PublishToAsync("ann@example.com", "bob@example.com");
        await VerifyAsync();
        var before = await WithDbAsync(db => db.AuditEntries.CountAsync());

        await using (var scope = App.Services.CreateAsyncScope())
        {
            var housekeeping = scope.ServiceProvider.GetRequiredService<Housekeeping>();
            Assert.Equal(before, await housekeeping.PruneAuditAsync(DateTimeOffset.UtcNow.AddSeconds(1), CancellationToken.None));
        }
        await Admin.PostAsync("/api/incidents", new { title = "Later", message = "After the prune.", notify = false });

        var result = await VerifyAsync();
        Assert.True(result["valid"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(before, result["checkpointRecord"]!.GetValue<long>());
        Assert.Equal(1, result["records"]!.GetValue<long>());

        // The first record after the checkpoint is still bound to it.
        await WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE audit_checkpoints SET hash = {AuditChain.Genesis}"));
        Assert.False((await VerifyAsync())["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Verification_needs_an_admin_key()
    {
        using var anonymous = App.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/audit/verify")).StatusCode);
    }
}
