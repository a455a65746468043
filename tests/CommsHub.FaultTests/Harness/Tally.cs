using System.Text;
using FanOutBench.Driver;
using FanOutBench.Fakes;
using Npgsql;

namespace CommsHub.FaultTests.Harness;

/// <summary>One channel's count after a faulted fan-out: what the provider fake accepted and what the database says.</summary>
/// <param name="Missing">Recipients the provider never received (lost).</param>
/// <param name="Extra">Arrivals beyond the first (duplicates).</param>
public sealed record ChannelTally(string Channel, int Expected, long Reached, long Missing, long Extra, long Deliveries, long Sent, long Queued, long Failed,
    IReadOnlyList<Repeat> Repeats);

public sealed record Tally(IReadOnlyList<ChannelTally> Channels)
{
    public long Expected => Channels.Sum(c => c.Expected);
    public long Missing => Channels.Sum(c => c.Missing);
    public long Extra => Channels.Sum(c => c.Extra);
    public long Queued => Channels.Sum(c => c.Queued);
    public long Failed => Channels.Sum(c => c.Failed);

    /// <summary>What the fakes and the database hold for one update of <paramref name="audience"/>, each recipient expected <paramref name="times"/> times.</summary>
    public static async Task<Tally> TakeAsync(Deployment deployment, Audience audience, int times = 1)
    {
        await using var db = new NpgsqlConnection(deployment.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            SELECT channel, count(*), count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'queued'),
                   count(*) FILTER (WHERE status = 'failed')
            FROM deliveries GROUP BY channel
            """, db);
        var rows = new Dictionary<string, long[]>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = [reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)];
            }
        }
        return new Tally([.. audience.Channels.Select(channel =>
        {
            var fake = deployment.Fakes.For(channel);
            var r = rows.GetValueOrDefault(channel) ?? [0, 0, 0, 0];
            return new ChannelTally(channel, audience.Count(channel) * times, fake.Recipients, fake.Missing(times), fake.Extra(times),
                r[0], r[1], r[2], r[3], fake.Repeats);
        })]);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var c in Channels)
        {
            text.Append($"{c.Channel}: expected {c.Expected:N0}, provider received {c.Reached:N0} (lost {c.Missing:N0}, duplicates {c.Extra:N0}); " +
                        $"database {c.Deliveries:N0} deliveries, {c.Sent:N0} sent, {c.Queued:N0} queued, {c.Failed:N0} failed\n");
        }
        return text.ToString();
    }
}
