using System.Data.Common;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using CommsHub.Core.Incidents;
using CommsHub.Core.StatusPage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Testing;

/// <summary>
/// The status page's data is read in several statements; a change committed between two of them must not show in the
/// later ones only. Each provider's test suite runs this against its own database.
/// </summary>
public static class StatusSnapshotConsistency
{
    /// <summary>
    /// An open critical incident with its component in a major outage; right after the loader's first statement has
    /// read its rows, another connection resolves the incident and brings the component back. The load shows the state
    /// before that commit, whole (read statement by statement, it showed the outage beside a resolved incident).
    /// </summary>
    public static async Task A_change_committed_during_a_load_is_either_wholly_in_it_or_wholly_out(IServiceProvider services)
    {
        var now = DateTimeOffset.UtcNow;
        var component = new Component { Name = "Playback", Status = ComponentStatus.MajorOutage, CreatedAt = now, UpdatedAt = now };
        var incident = new Incident { Title = "Playback down", Status = IncidentStatus.Identified, Impact = Impact.Critical, CreatedAt = now, UpdatedAt = now };
        incident.Components.Add(new IncidentComponent { IncidentId = incident.Id, ComponentId = component.Id, Status = ComponentStatus.MajorOutage });
        incident.Updates.Add(new IncidentUpdate { IncidentId = incident.Id, Status = IncidentStatus.Identified, Message = "Playback fails.", CreatedAt = now, Public = true });
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            db.AddRange(component, incident);
            await db.SaveChangesAsync();
        }

        var resolve = new CommitAfterFirstRead(async () =>
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CommsHubDbContext>();
            var later = now.AddMinutes(5);
            await db.Components.Where(c => c.Id == component.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ComponentStatus.Operational).SetProperty(c => c.UpdatedAt, later));
            await db.Incidents.Where(i => i.Id == incident.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.Status, IncidentStatus.Resolved).SetProperty(i => i.ResolvedAt, later).SetProperty(i => i.UpdatedAt, later));
        });
        StatusData data;
        await using (var scope = services.CreateAsyncScope())
        await using (var db = ContextWith(scope.ServiceProvider, resolve))
        {
            data = await new StatusDataLoader(db, scope.ServiceProvider.GetRequiredService<IOptions<CommsHubOptions>>(),
                Options.Create(new StatusPageOptions()), TimeProvider.System).LoadAsync(CancellationToken.None);
        }

        Assert.True(resolve.Committed, "the change was committed while the loader read");
        Assert.Equal(ComponentStatus.MajorOutage, data.Components.Single(c => c.Id == component.Id).Status);
        Assert.Equal(IncidentStatus.Identified, data.Incidents.Single(i => i.Id == incident.Id).Status);
        Assert.Equal("critical", data.Indicator.Indicator);

        // And the next load has the change, whole.
        await using (var scope = services.CreateAsyncScope())
        {
            data = await scope.ServiceProvider.GetRequiredService<StatusDataLoader>().LoadAsync(CancellationToken.None);
        }
        Assert.Equal(ComponentStatus.Operational, data.Components.Single(c => c.Id == component.Id).Status);
        Assert.Equal(IncidentStatus.Resolved, data.Incidents.Single(i => i.Id == incident.Id).Status);
        Assert.Equal("none", data.Indicator.Indicator);
    }

    private static CommsHubDbContext ContextWith(IServiceProvider services, IInterceptor interceptor)
    {
        var info = services.GetRequiredService<DatabaseInfo>();
        return info.Provider == DatabaseProvider.PostgreSql
            ? new PostgreSqlCommsHubDbContext(DatabaseSetup.Configure(new DbContextOptionsBuilder<PostgreSqlCommsHubDbContext>(), info.Provider, info.ConnectionString)
                .AddInterceptors(interceptor).Options)
            : new SqliteCommsHubDbContext(DatabaseSetup.Configure(new DbContextOptionsBuilder<SqliteCommsHubDbContext>(), info.Provider, info.ConnectionString)
                .AddInterceptors(interceptor).Options);
    }

    /// <summary>Runs a change, once, when the first query's rows have all been read.</summary>
    private sealed class CommitAfterFirstRead(Func<Task> change) : DbCommandInterceptor
    {
        private bool _started;

        public bool Committed { get; private set; }

        public override async ValueTask<InterceptionResult> DataReaderClosingAsync(DbCommand command, DataReaderClosingEventData eventData, InterceptionResult result)
        {
            if (!_started && command.CommandText.Contains("SELECT", StringComparison.OrdinalIgnoreCase))
            {
                _started = true;
                await change();
                Committed = true;
            }
            return result;
        }
    }
}
