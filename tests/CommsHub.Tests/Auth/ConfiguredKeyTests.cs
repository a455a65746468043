using CommsHub.Core.Auth;
using CommsHub.Core.Data;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Auth;

public sealed class ConfiguredKeyTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), "commshub-tests", $"{Guid.NewGuid():N}.db");

    public ConfiguredKeyTests() => Directory.CreateDirectory(Path.GetDirectoryName(_file)!);

    private Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["Database:Provider"] = "Sqlite", ["ConnectionStrings:CommsHub"] = $"Data Source={_file}" };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return settings;
    }

    [Fact]
    public async Task A_configured_key_shorter_than_32_characters_stops_the_host_with_a_message_naming_it()
    {
        await using var app = new CommsHubApp(Settings(("Auth:AdminApiKeys:1", "change-me")));
        var refused = Assert.ThrowsAny<Exception>(() => app.Server);
        var message = string.Join(" | ", Chain(refused).Select(e => e.Message));
        Assert.Contains("Auth:AdminApiKeys:1 is 9 characters long", message, StringComparison.Ordinal);
        Assert.Contains("at least 32 characters", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_generated_at_first_start_is_refused_once_a_key_is_configured()
    {
        // First start without a configured key: a key is generated. Its text went to the console, so the test
        // gives the stored row a key it knows instead.
        var known = ApiKeyStore.NewKey();
        await using (var first = new CommsHubApp(Settings(("Auth:AdminApiKeys:0", ""))))
        {
            _ = first.Server;
            await using (var scope = first.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
                var generated = await db.ApiKeys.SingleAsync();
                Assert.True(generated.Generated);
                db.ApiKeys.Remove(generated);
                db.ApiKeys.Add(new ApiKey { Id = generated.Id, Name = generated.Name, Hash = ApiKeyStore.Hash(known), Scopes = generated.Scopes, Generated = true, CreatedAt = generated.CreatedAt });
                await db.SaveChangesAsync();
            }
            using var withGenerated = first.Admin(known);
            await Eventually.HoldsAsync(async () => await withGenerated.StatusAsync("/api/incidents") == 200,
                "the generated key is accepted while no key is configured", TimeSpan.FromSeconds(10));
        }

        // Next start with a configured key: the generated one is refused, and stays revoked.
        await using var second = new CommsHubApp(Settings());
        using var stale = second.Admin(known);
        Assert.Equal(401, await stale.StatusAsync("/api/incidents"));
        using var admin = second.Admin();
        var listed = Assert.Single((await admin.GetJsonAsync("/api/keys")).AsArray())!;
        Assert.True(listed["generated"]!.GetValue<bool>());
        Assert.NotNull(listed["revokedAt"]);
        var revoked = Assert.Single((await admin.GetJsonAsync("/api/audit?action=key.revoked"))["items"]!.AsArray())!;
        Assert.Equal("system", revoked["actor"]!.GetValue<string>());
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            yield return current;
        }
        if (e is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
            {
                yield return inner;
            }
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" })
        {
            File.Delete(f);
        }
    }
}
