using System.Net;
using System.Net.Http.Json;
using CommsHub.Core.Data;
using CommsHub.Core.Scheduling;
using Hangfire;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CommsHub.IntegrationTests;

/// <summary>
/// The reconcile pass on Hangfire's real PostgreSQL storage: a job left behind by a worker that died
/// is scheduled again on the next pass, a job a live worker holds is left alone, and however many
/// jobs an action ends up with, it fires once. The test runs the pass itself (the recurring one is off).
/// </summary>
public sealed class ScheduleReconcileTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public async Task DisposeAsync() => await _infra.DisposeAsync();

    private CommsHubApp StartApp()
    {
        var settings = _infra.Settings();
        settings["Scheduling:PollInterval"] = "00:00:00.200";
        settings["Scheduling:Recurring:schedule-reconcile"] = "-";
        var app = new CommsHubApp(settings);
        _ = app.Server;
        return app;
    }

    [Fact]
    public async Task A_job_processing_on_a_dead_server_is_scheduled_again_on_the_next_pass_and_fires_once()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var incident = await IncidentAsync(admin);
        var storage = app.Services.GetRequiredService<JobStorage>();
        await Eventually.HoldsAsync(() => Task.FromResult(storage.GetMonitoringApi().Servers().Count == 1), "the worker's Hangfire server is up");
        var liveServer = storage.GetMonitoringApi().Servers().Single().Name;

        // A server that has stopped heartbeating but is still in the list, as a killed worker's is.
        const string stale = "killed-worker:4242:0f0f0f";
        using (var connection = storage.GetConnection())
        {
            connection.AnnounceServer(stale, new ServerContext { Queues = ["default"], WorkerCount = 8 });
        }
        await SqlAsync("UPDATE hangfire.server SET lastheartbeat = now() - interval '1 minute' WHERE id = @id", ("id", stale));

        // Each job has just started, so only its server tells whether it will finish.
        var onRemovedServer = await OverdueAsync(app, admin, incident, "removed server", new Processing("removed-worker:4243:1a1a1a"));
        var onStaleServer = await OverdueAsync(app, admin, incident, "stale server", new Processing(stale));
        var onLiveServer = await OverdueAsync(app, admin, incident, "live server", new Processing(liveServer));

        Assert.Equal(2, await ReconcileAsync(app));
        var after = await ActionsAsync(app, onRemovedServer.Id, onStaleServer.Id, onLiveServer.Id);
        Assert.NotEqual(onRemovedServer.JobId, after[onRemovedServer.Id].JobId);
        Assert.NotEqual(onStaleServer.JobId, after[onStaleServer.Id].JobId);
        Assert.Equal(onLiveServer.JobId, after[onLiveServer.Id].JobId);

        await FiredAsync(app, onRemovedServer.Id, onStaleServer.Id);
        // The dead servers' jobs run after all (the server was only cut off): nothing happens twice.
        await RunJobAsync(app, onRemovedServer);
        await RunJobAsync(app, onStaleServer);
        Assert.Equal(1, await UpdatesAsync(app, "removed server"));
        Assert.Equal(1, await UpdatesAsync(app, "stale server"));
        Assert.Equal(0, await UpdatesAsync(app, "live server"));
        Assert.Equal(0, await ReconcileAsync(app)); // fired actions are not looked at again; the live one is still live
    }

    [Fact]
    public async Task A_job_taken_from_the_queue_by_a_worker_that_died_before_starting_it_is_scheduled_again()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var incident = await IncidentAsync(admin);
        var storage = app.Services.GetRequiredService<JobStorage>();

        // A queue no worker here listens to, so only this test takes from it.
        var taken = await OverdueAsync(app, admin, incident, "taken", new EnqueuedState("parked"));
        using var connection = storage.GetConnection();
        using var fetched = connection.FetchNextJob(["parked"], CancellationToken.None);
        Assert.Equal(taken.JobId, fetched.JobId);
        // Taken ten seconds ago by a worker that has not moved it to Processing since: that worker is gone.
        await SqlAsync("UPDATE hangfire.jobqueue SET fetchedat = now() - interval '10 seconds' WHERE jobid = @id", ("id", long.Parse(taken.JobId!)));
        // Merely waiting its turn in the queue: left alone.
        var waiting = await OverdueAsync(app, admin, incident, "waiting", new EnqueuedState("parked"));

        Assert.Equal(1, await ReconcileAsync(app));
        var after = await ActionsAsync(app, taken.Id, waiting.Id);
        Assert.NotEqual(taken.JobId, after[taken.Id].JobId);
        Assert.Equal(waiting.JobId, after[waiting.Id].JobId);

        await FiredAsync(app, taken.Id);
        await RunJobAsync(app, taken);
        Assert.Equal(1, await UpdatesAsync(app, "taken"));
        Assert.Equal(0, await UpdatesAsync(app, "waiting"));
    }

    [Fact]
    public async Task Jobs_of_one_action_running_at_the_same_time_fire_it_once()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var incident = await IncidentAsync(admin);
        var action = await OverdueAsync(app, admin, incident, "raced", new EnqueuedState("parked"));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => RunJobAsync(app, action))));

        Assert.Equal(1, await UpdatesAsync(app, "raced"));
        var fired = (await ActionsAsync(app, action.Id))[action.Id];
        Assert.NotNull(fired.FiredAt);
        Assert.StartsWith("published as update", fired.Outcome, StringComparison.Ordinal);
    }

    private static async Task<string> IncidentAsync(HttpClient admin) =>
        (await admin.PostAsync("/api/incidents", new { title = "Search is slow", message = "Investigating.", notify = false }))["id"]!.GetValue<string>();

    /// <summary>
    /// A scheduled update whose action is ten seconds overdue and whose Hangfire job is in <paramref name="state"/>,
    /// as a worker that died would have left it.
    /// </summary>
    private static async Task<ScheduledAction> OverdueAsync(CommsHubApp app, HttpClient admin, string incident, string message, IState state)
    {
        using var response = await admin.PostAsJsonAsync($"/api/incidents/{incident}/updates",
            new { message, notify = false, publishAt = DateTimeOffset.UtcNow.AddHours(1) });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var scheduledUpdate = Guid.Parse(response.Headers.Location!.ToString().Split('/')[^1]);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        var jobs = scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>();
        var action = await db.ScheduledActions.SingleAsync(a => a.TargetId == scheduledUpdate);
        jobs.Delete(action.JobId!);
        var now = DateTimeOffset.UtcNow;
        action.DueAt = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMillisecond)).AddSeconds(-10);
        var id = action.Id;
        var dueAt = action.DueAt;
        action.JobId = jobs.Create(Job.FromExpression<ScheduledActionJob>(j => j.RunAsync(id, dueAt, CancellationToken.None)), state);
        await db.SaveChangesAsync();
        return action;
    }

    private static async Task<int> ReconcileAsync(CommsHubApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Scheduler>().ReconcileAsync(all: false, CancellationToken.None);
    }

    /// <summary>What the job for the action's due time does when it runs, as any of its Hangfire jobs would.</summary>
    private static async Task RunJobAsync(CommsHubApp app, ScheduledAction action)
    {
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ScheduledActionJob>().RunAsync(action.Id, action.DueAt, CancellationToken.None);
    }

    private static async Task<Dictionary<Guid, ScheduledAction>> ActionsAsync(CommsHubApp app, params Guid[] ids)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
        return await db.ScheduledActions.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id);
    }

    private static Task FiredAsync(CommsHubApp app, params Guid[] ids) =>
        Eventually.HoldsAsync(async () => (await ActionsAsync(app, ids)).Values.All(a => a.FiredAt is not null),
            "the re-scheduled jobs fired their actions", TimeSpan.FromSeconds(30));

    private static async Task<int> UpdatesAsync(CommsHubApp app, string message)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CommsHubDbContext>().IncidentUpdates.CountAsync(u => u.Message == message);
    }

    /// <summary>A job a worker of <paramref name="serverId"/> started just now, as Hangfire's own ProcessingState records it.</summary>
    private sealed class Processing(string serverId) : IState
    {
        public string Name => ProcessingState.StateName;
        public string? Reason => null;
        public bool IsFinal => false;
        public bool IgnoreJobLoadException => false;

        public Dictionary<string, string> SerializeData() => new()
        {
            ["StartedAt"] = JobHelper.SerializeDateTime(DateTime.UtcNow),
            ["ServerId"] = serverId,
            ["WorkerId"] = Guid.NewGuid().ToString(),
        };
    }

    private async Task SqlAsync(string sql, (string Name, object Value) parameter)
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(parameter.Name, parameter.Value);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
