using CommsHub.Core.Incidents;
using CommsHub.Testing;

namespace CommsHub.Tests.Scheduling;

/// <summary>Operators hear of an unresolved incident that has gone 30 minutes without a public update, once per interval.</summary>
public sealed class OperatorReminderTests : FakeClockAppTest, IDisposable
{
    private const string OnCall = "oncall@acme.example";
    private readonly SendGridFake _sendGrid = new();

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Channels:Email:SendGrid:ApiKey"] = "SG.test",
        ["Channels:Email:SendGrid:BaseUrl"] = _sendGrid.Url,
        ["Channels:Email:From"] = "Status <status@acme.example>",
        ["Operators:Emails:0"] = OnCall,
        ["Incidents:UpdateReminderAfter"] = "00:30:00",
    };

    public void Dispose() => _sendGrid.Dispose();

    private Task<int> RemindAsync() => WithServiceAsync<OperatorReminders, int>(r => r.RemindAsync(CancellationToken.None));

    private List<SentMail> Reminders() => _sendGrid.Requests.Where(r => r.Recipients.Contains(OnCall)).ToList();

    /// <summary>The reminders sent, once there are <paramref name="count"/>: a reminder is a delivery, sent by the pipeline after it is queued.</summary>
    private async Task<List<SentMail>> RemindersAsync(int count)
    {
        await Eventually.HoldsAsync(() => Task.FromResult(Reminders().Count >= count), $"{count} reminder(s) are sent");
        return Reminders();
    }

    private async Task<string> OpenIncidentAsync(string title = "Playback outage") =>
        Id(await Admin.PostAsync("/api/incidents", new { title, message = "Investigating" }));

    [Fact]
    public async Task An_incident_updated_within_the_interval_is_not_reminded()
    {
        await OpenIncidentAsync();
        Assert.Equal(0, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await RemindAsync());
        Assert.Empty(Reminders());
    }

    [Fact]
    public async Task A_quiet_incident_is_reminded_once_per_interval()
    {
        var id = await OpenIncidentAsync();
        Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await RemindAsync());

        var mail = Assert.Single(await RemindersAsync(1));
        Assert.Equal([OnCall], mail.Recipients);
        Assert.Equal("No update for 31 minutes: Playback outage", mail.Subject);
        Assert.Contains($"/api/incidents/{id}/updates", mail.Content("text/plain"));

        Assert.Equal(0, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal(0, await RemindAsync());
        Assert.Single(Reminders());

        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await RemindAsync());
        Assert.Equal("No update for 1 hour 1 minute: Playback outage", (await RemindersAsync(2))[1].Subject);
        Assert.Equal(2, Reminders().Count);
    }

    [Fact]
    public async Task An_update_restarts_the_interval()
    {
        var id = await OpenIncidentAsync();
        Clock.Advance(TimeSpan.FromMinutes(20));
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Still investigating." });

        Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(0, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await RemindAsync());
        Assert.Equal("No update for 30 minutes: Playback outage", Assert.Single(await RemindersAsync(1)).Subject);
    }

    [Fact]
    public async Task An_update_after_a_reminder_silences_the_next_one()
    {
        var id = await OpenIncidentAsync();
        Clock.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(1, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(15));
        await Admin.PostAsync($"/api/incidents/{id}/updates", new { message = "Identified.", status = "identified" });

        Clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(0, await RemindAsync());
        Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await RemindAsync());
        Assert.Equal(2, (await RemindersAsync(2)).Count);
    }

    [Fact]
    public async Task Resolved_incidents_and_maintenances_are_never_reminded()
    {
        await Admin.PostAsync("/api/incidents", new { title = "Fixed already", message = "Resolved.", status = "resolved" });
        var later = await OpenIncidentAsync("Resolved later");
        var component = await Admin.CreateComponentAsync("Streaming");
        await Admin.PostAsync("/api/maintenances", new
        {
            title = "Database upgrade", message = "Read-only.", components = new[] { component },
            scheduledFor = T0.AddHours(1), scheduledUntil = T0.AddHours(5), autoTransition = false,
        });
        Clock.Advance(TimeSpan.FromMinutes(10));
        await Admin.PostAsync($"/api/incidents/{later}/updates", new { message = "Resolved.", status = "resolved" });

        Clock.Advance(TimeSpan.FromHours(3));
        Assert.Equal(0, await RemindAsync());
        Assert.Empty(Reminders());
    }

    [Fact]
    public async Task Each_quiet_incident_gets_its_own_reminder()
    {
        await OpenIncidentAsync("Playback outage");
        Clock.Advance(TimeSpan.FromMinutes(10));
        await OpenIncidentAsync("Login errors");
        Clock.Advance(TimeSpan.FromMinutes(25));

        Assert.Equal(1, await RemindAsync());
        Assert.Equal("No update for 35 minutes: Playback outage", Assert.Single(await RemindersAsync(1)).Subject);
        Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, await RemindAsync());
        Assert.Equal("No update for 30 minutes: Login errors", (await RemindersAsync(2))[1].Subject);
    }
}
