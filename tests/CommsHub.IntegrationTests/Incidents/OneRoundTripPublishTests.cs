using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CommsHub.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CommsHub.IntegrationTests.Incidents;

/// <summary>
/// An update is written in one round trip on PostgreSQL: its statements in one batch, with no transaction of EF's own, so
/// the incident's row lock is released by the server once the batch has run, not by the client's COMMIT a round trip later
/// (updates posted to one incident side by side queued behind a busy API's COMMIT: docs/benchmarks.md). The batch is still
/// all or nothing.
/// </summary>
public sealed class OneRoundTripPublishTests : IAsyncLifetime
{
    private Infrastructure _infra = null!;

    public async Task InitializeAsync() => _infra = await Infrastructure.CreateAsync();

    public Task DisposeAsync() => _infra.DisposeAsync().AsTask();

    private CommsHubApp StartApp()
    {
        var settings = _infra.Settings();
        settings["Roles"] = "api";
        var app = new CommsHubApp(settings);
        _ = app.Server;
        return app;
    }

    [Fact]
    public async Task An_update_that_moves_ten_components_is_one_command_outside_any_transaction()
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var components = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            components.Add(await admin.CreateComponentAsync($"Region {i}"));
        }
        var incident = (await admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false }))["id"]!.GetValue<string>();
        var message = $"Identified: {Guid.NewGuid()}";
        using var commands = new CommandCapture(message);

        await admin.PostAsync($"/api/incidents/{incident}/updates", new
        {
            status = "identified", message, notify = false,
            components = components.Select(id => new { id, status = "major_outage" }).ToArray(),
        });

        var command = Assert.Single(commands.Executed);
        Assert.False(command.InTransaction, "the update's batch ran inside a transaction of EF's own");
        // Everything the update writes is in that one batch: the update, the incident, the components and their history, the outbox row.
        foreach (var table in new[] { "INSERT INTO incident_updates", "UPDATE incidents", "INSERT INTO component_changes", "UPDATE components",
            "INSERT INTO component_status_history", "INSERT INTO incident_components", "INSERT INTO outbox_messages" })
        {
            Assert.Contains(table, command.Text, StringComparison.Ordinal);
        }
        var stored = await admin.GetJsonAsync($"/api/incidents/{incident}");
        Assert.Equal("identified", stored["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("incident_updates")]
    [InlineData("incidents")]
    [InlineData("outbox_messages")]
    public async Task An_update_whose_batch_fails_in_any_statement_leaves_nothing_behind(string refusing)
    {
        await using var app = StartApp();
        using var admin = app.Admin();
        var incident = (await admin.PostAsync("/api/incidents", new { title = "Playback errors", message = "Investigating.", impact = "major", notify = false }))["id"]!.GetValue<string>();
        var before = await CountsAsync(Guid.Parse(incident));
        // The table refuses every new row version from here on.
        await ExecuteAsync($"ALTER TABLE {refusing} ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID");

        using var response = await admin.PostAsJsonAsync($"/api/incidents/{incident}/updates", new { status = "identified", message = "Identified.", notify = false });

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(before, await CountsAsync(Guid.Parse(incident)));
    }

    private async Task<(long Updates, string Status, DateTime UpdatedAt, long Outbox)> CountsAsync(Guid incident)
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM incident_updates WHERE incident_id = @id), i.status, i.updated_at, (SELECT count(*) FROM outbox_messages)
            FROM incidents AS i WHERE i.id = @id
            """, connection);
        command.Parameters.AddWithValue("id", incident);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0), reader.GetString(1), reader.GetDateTime(2), reader.GetInt64(3));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(_infra.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The commands EF executes that carry <c>marker</c> as a parameter, from its diagnostic events (this process only).</summary>
    private sealed class CommandCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly string _marker;
        private readonly List<IDisposable> _subscriptions = [];
        private readonly ConcurrentQueue<(string Text, bool InTransaction)> _executed = new();

        public CommandCapture(string marker)
        {
            _marker = marker;
            _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
        }

        public IReadOnlyList<(string Text, bool InTransaction)> Executed => [.. _executed];

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
            {
                lock (_subscriptions)
                {
                    _subscriptions.Add(listener.Subscribe(this));
                }
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Key == RelationalEventId.CommandExecuted.Name && value.Value is CommandExecutedEventData data
                && data.Command.Parameters.Cast<DbParameter>().Any(p => p.Value as string == _marker))
            {
                _executed.Enqueue((data.Command.CommandText, data.Command.Transaction is not null));
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            lock (_subscriptions)
            {
                _subscriptions.ForEach(s => s.Dispose());
            }
        }
    }
}
