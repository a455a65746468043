using CommsHub.Core.Channels.Email;
using CommsHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CommsHub.Tests.Auth;

/// <summary>
/// The product on its own SQLite file with a clock the test moves (link expiry, lockout ends,
/// TOTP steps) and an email sender that keeps what it sent.
/// </summary>
public abstract class OperatorAppTest : IAsyncLifetime
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "commshub-tests", $"{Guid.NewGuid():N}.db");

    // Whole seconds: the database keeps times to the microsecond at best, and the tests compare them.
    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    protected CapturedEmails Emails { get; } = new();
    protected CommsHubApp App { get; private set; } = null!;
    protected HttpClient Admin { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
        App = new CommsHubApp(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:CommsHub"] = $"Data Source={_file}",
        })
        {
            TestServices = services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddSingleton<IEmailSender>(Emails);
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

    protected async Task<T> WithDbAsync<T>(Func<Core.Data.CommsHubDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<Core.Data.CommsHubDbContext>());
    }

    /// <summary>Invites, sets the password through the link the invitation email carried, signs in.</summary>
    protected async Task<(string Id, ConsoleClient Browser)> SignedInAsync(string email, string role = "responder")
    {
        var created = await Admin.PostAsync("/api/operators", new { email, name = "Ana Ops", role });
        var browser = new ConsoleClient(App);
        await browser.SetPasswordAsync(await Emails.LinkToAsync(email), OperatorAccounts.Password);
        Assert.Equal("/console", await browser.SignInAsync(email, OperatorAccounts.Password));
        return (created["id"]!.GetValue<string>(), browser);
    }
}
