using Microsoft.EntityFrameworkCore;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>
/// A fresh product on the embedded default for each test: its own SQLite file, MassTransit's
/// in-memory bus, and email sandboxed unless the test points SendGrid at a fake.
/// </summary>
public abstract class SqliteAppTest : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "commshub-tests", $"{Guid.NewGuid():N}.db");

    protected CommsHubApp App { get; private set; } = null!;
    protected HttpClient Admin { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Settings() => [];

    /// <summary>Services a test replaces or adds after the product's own (an in-memory exporter, a log sink, client addresses).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    private Dictionary<string, string?> _settings = [];

    /// <summary>The SQLite file the product runs on, for a test that must change it behind the product's back.</summary>
    protected string DatabaseFile => _file;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        var settings = _settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:CommsHub"] = $"Data Source={_file}",
            ["Outbox:PollInterval"] = "00:00:00.200",
        };
        foreach (var (k, v) in Settings())
        {
            settings[k] = v;
        }
        App = new CommsHubApp(settings) { TestServices = ConfigureServices };
        Admin = App.Admin();
        return Task.CompletedTask;
    }

    /// <summary>Stops the host and starts a new one on the same database, as a deployment or a crash would.</summary>
    protected async Task RestartAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
        App = new CommsHubApp(_settings) { TestServices = ConfigureServices };
        Admin = App.Admin();
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

    /// <summary>
    /// Confirmations asked for, of one subscriber or all: a request that will send one writes its command to the outbox
    /// in its own transaction, and nothing else sends one, so a count taken right after a request says whether it will
    /// send anything — no waiting for something not to happen.
    /// </summary>
    protected Task<int> ConfirmationsAskedAsync(Guid? subscriberId = null)
    {
        var type = typeof(Contracts.SendSubscriptionConfirmation).FullName!;
        var id = subscriberId?.ToString();
        return WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.MessageType == type && (id == null || m.Payload.Contains(id))));
    }

    protected async Task<T> WithDbAsync<T>(Func<CommsHubDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CommsHubDbContext>());
    }
}
