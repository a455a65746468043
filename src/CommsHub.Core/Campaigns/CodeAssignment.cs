using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Gives each member of a page one free code of the pool, as a database fact: one statement on PostgreSQL takes the
/// first free codes (<c>FOR UPDATE SKIP LOCKED</c>, so two planners never take the same), marks them assigned and
/// records the assignments; the keys (campaign, member) and (code) refuse a second code for a member or a second
/// member for a code whatever runs twice. A member who has a code keeps it: a re-plan after a crash assigns nothing new.
/// </summary>
/// <remarks>
/// The free codes are read from the partial index of codes with no <c>assigned_at</c>; a code just assigned leaves a
/// dead entry there until vacuum, so "the first free codes" of the pool's 1,000th page would step over the 999,000
/// entries its earlier pages left. The statement therefore starts after the last code this instance took (codes are
/// taken in id order); when that finds too few (codes below it left free by a concurrent planner's lost race, or a
/// new instance), it looks again from the start of the pool. The start is only where the scan begins: which codes
/// are free and who holds which is still decided by the database alone.
/// </remarks>
public sealed class CodeAssignment(CommsHubDbContext db, TimeProvider time)
{
    private const string PostgreSql = """
        WITH need AS (
            SELECT m.id AS member_id, row_number() OVER (ORDER BY m.id) AS rn
            FROM unnest(@members) AS m(id)
            -- OFFSET 0 keeps this a probe of the primary key per member: as a join, PostgreSQL hashed every code the
            -- campaign had assigned so far on each page (94 ms at page 100 of a million, growing with each page).
            WHERE NOT EXISTS (SELECT 1 FROM campaign_codes c WHERE c.campaign_id = @campaign AND c.member_id = m.id OFFSET 0)),
        free AS (
            SELECT id FROM pool_codes WHERE pool_id = @pool AND assigned_at IS NULL AND id > @after ORDER BY id
            LIMIT (SELECT count(*) FROM need) FOR UPDATE SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM free),
        -- The assignment first; only the codes it really recorded are marked taken, so a member a concurrent
        -- planner served first (the insert's conflict) leaves its code free instead of burning it.
        inserted AS (
            INSERT INTO campaign_codes (campaign_id, member_id, code_id, assigned_at)
            SELECT @campaign, need.member_id, n.id, @now FROM numbered n JOIN need ON need.rn = n.rn
            ON CONFLICT DO NOTHING
            RETURNING code_id),
        marked AS (UPDATE pool_codes SET assigned_at = @now WHERE id IN (SELECT code_id FROM inserted) RETURNING id)
        SELECT (SELECT count(*) FROM need), (SELECT count(*) FROM marked), (SELECT id FROM marked ORDER BY id DESC LIMIT 1)
        """;

    // Per pool: the highest code id this instance assigned (one planner's run uses one instance).
    private readonly Dictionary<Guid, Guid> _after = [];

    /// <returns>The members of <paramref name="members"/> that hold a code of this campaign afterwards.</returns>
    public async Task<HashSet<Guid>> AssignAsync(Guid campaignId, Guid poolId, IReadOnlyList<Guid> members, CancellationToken cancellationToken)
    {
        if (members.Count == 0)
        {
            return [];
        }
        var now = time.GetUtcNow();
        if (db.Provider == DatabaseProvider.PostgreSql)
        {
            var after = _after.GetValueOrDefault(poolId);
            var (needed, assigned, last) = await AssignPostgreSqlAsync(campaignId, poolId, members, after, now, cancellationToken);
            if (assigned < needed && after != Guid.Empty)
            {
                (needed, var again, var lastAgain) = await AssignPostgreSqlAsync(campaignId, poolId, members, Guid.Empty, now, cancellationToken);
                (assigned, last) = (again, lastAgain ?? last);
            }
            if (last is { } highest)
            {
                _after[poolId] = highest;
            }
            if (assigned == needed)
            {
                // Everyone who lacked a code got one by this statement, and the others had one: no need to ask.
                return [.. members];
            }
        }
        else
        {
            // SQLite has one writer: inside a transaction nothing can take the same codes meanwhile.
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var have = await db.CampaignCodes.Where(c => c.CampaignId == campaignId && EF.Parameter(members).Contains(c.MemberId)).Select(c => c.MemberId).ToListAsync(cancellationToken);
            var need = members.Except(have).Order().ToList();
            var free = await db.PoolCodes.Where(c => c.PoolId == poolId && c.AssignedAt == null).OrderBy(c => c.Id).Take(need.Count).ToListAsync(cancellationToken);
            foreach (var (member, code) in need.Zip(free))
            {
                code.AssignedAt = now;
                db.CampaignCodes.Add(new CampaignCode { CampaignId = campaignId, MemberId = member, CodeId = code.Id, AssignedAt = now });
            }
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }
        return (await db.CampaignCodes.AsNoTracking().Where(c => c.CampaignId == campaignId && EF.Parameter(members.ToList()).Contains(c.MemberId))
            .Select(c => c.MemberId).ToListAsync(cancellationToken)).ToHashSet();
    }

    private async Task<(long Needed, long Assigned, Guid? Last)> AssignPostgreSqlAsync(Guid campaignId, Guid poolId, IReadOnlyList<Guid> members, Guid after,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(PostgreSql, connection);
            command.Parameters.Add(new NpgsqlParameter("members", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = members.ToArray() });
            command.Parameters.AddWithValue("campaign", campaignId);
            command.Parameters.AddWithValue("pool", poolId);
            command.Parameters.AddWithValue("after", after);
            command.Parameters.AddWithValue("now", now.ToUniversalTime());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetGuid(2));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
