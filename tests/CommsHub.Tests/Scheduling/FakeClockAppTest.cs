using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CommsHub.Core.Data;
using CommsHub.Core.Scheduling;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace CommsHub.Tests.Scheduling;

/// <summary>
/// A fresh product on SQLite whose clock is a <see cref="FakeTimeProvider"/> standing at <see cref="T0"/>.
/// Hangfire keeps real time, so a job due in 2030 never runs by itself: the test advances the clock
/// and runs <see cref="ScheduledActionJob"/> directly, as Hangfire would at that time.
/// </summary>
public abstract class FakeClockAppTest : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 10, 0, 0, TimeSpan.Zero);

    private readonly string _file = Path.Combine(Path.GetTempPath(), "commshub-tests", $"{Guid.NewGuid():N}.db");

    protected FakeTimeProvider Clock { get; } = new(T0);
    protected CommsHubApp App { get; private set; } = null!;
    protected HttpClient Admin { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Settings() => [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:CommsHub"] = $"Data Source={_file}",
            ["Outbox:PollInterval"] = "00:00:00.200",
            // The tests call these themselves; the recurring copies would race them.
            ["Scheduling:Recurring:incident-update-reminders"] = "-",
            ["Scheduling:Recurring:schedule-reconcile"] = "-",
        };
        foreach (var (k, v) in Settings())
        {
            settings[k] = v;
        }
        App = new CommsHubApp(settings)
        {
            TestServices = services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(Clock);
            },
        };
        Admin = App.Admin();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(f);
        }
    }

    protected void AdvanceTo(DateTimeOffset time)
    {
        Assert.True(time >= Clock.GetUtcNow(), $"the clock cannot go back to {time:O}");
        Clock.Advance(time - Clock.GetUtcNow());
    }

    protected async Task<T> WithDbAsync<T>(Func<CommsHubDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }

    protected async Task<T> WithServiceAsync<TService, T>(Func<TService, Task<T>> call) where TService : notnull
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await call(scope.ServiceProvider.GetRequiredService<TService>());
    }

    protected Task<List<ScheduledAction>> ActionsAsync(Guid targetId) =>
        WithDbAsync(db => db.ScheduledActions.AsNoTracking().Where(a => a.TargetId == targetId).ToListAsync());

    protected async Task<ScheduledAction> PendingActionAsync(Guid targetId, ScheduledActionKind kind) =>
        (await ActionsAsync(targetId)).Single(a => a.Kind == kind && a.IsPending);

    /// <summary>What Hangfire does when a job comes due: one run of the job with the action id and due time it carries.</summary>
    protected async Task RunJobAsync(Guid actionId, DateTimeOffset dueAt)
    {
        await using var scope = App.Services.CreateAsyncScope();
        // The job waits for its due time on the fake clock: a test that forgot to advance fails here instead of hanging.
        await scope.ServiceProvider.GetRequiredService<ScheduledActionJob>().RunAsync(actionId, dueAt, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>Runs the job of the target's pending action of this kind.</summary>
    protected async Task FireAsync(Guid targetId, ScheduledActionKind kind)
    {
        var action = await PendingActionAsync(targetId, kind);
        await RunJobAsync(action.Id, action.DueAt);
    }

    protected async Task<(HttpStatusCode Status, JsonNode Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is string json)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text.Length == 0 ? "{}" : text)!, response);
    }

    protected async Task<JsonNode> ExpectAsync(HttpStatusCode expected, HttpMethod method, string path, object? body = null)
    {
        var (status, json, response) = await SendAsync(method, path, body);
        response.Dispose();
        Assert.True(status == expected, $"{method} {path} answered {(int)status}, expected {(int)expected}: {json.ToJsonString()}");
        return json;
    }

    /// <summary>A 400 problem; returns its field errors.</summary>
    protected async Task<JsonObject> FieldErrorsAsync(HttpMethod method, string path, object? body = null)
    {
        var problem = await ExpectAsync(HttpStatusCode.BadRequest, method, path, body);
        return problem["errors"]!.AsObject();
    }

    protected static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    protected static string Text(JsonNode? node) => node!.GetValue<string>();

    protected static DateTimeOffset Time(JsonNode? node) => DateTimeOffset.Parse(node!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
}
