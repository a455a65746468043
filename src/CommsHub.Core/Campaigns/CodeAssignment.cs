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
public sealed class CodeAssignment(CommsHubDbContext db, TimeProvider time)
{
    private const string PostgreSql = """
        WITH need AS (
            SELECT m.id AS member_id, row_number() OVER (ORDER BY m.id) AS rn
            FROM unnest(@members) AS m(id)
            WHERE NOT EXISTS (SELECT 1 FROM campaign_codes c WHERE c.campaign_id = @campaign AND c.member_id = m.id)),
        free AS (
            SELECT id FROM pool_codes WHERE pool_id = @pool AND assigned_at IS NULL ORDER BY id
            LIMIT (SELECT count(*) FROM need) FOR UPDATE SKIP LOCKED),
        numbered AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM free),
        -- The assignment first; only the codes it really recorded are marked taken, so a member a concurrent
        -- planner served first (the insert's conflict) leaves its code free instead of burning it.
        inserted AS (
            INSERT INTO campaign_codes (campaign_id, member_id, code_id, assigned_at)
            SELECT @campaign, need.member_id, n.id, @now FROM numbered n JOIN need ON need.rn = n.rn
            ON CONFLICT DO NOTHING
            RETURNING code_id)
        UPDATE pool_codes SET assigned_at = @now WHERE id IN (SELECT code_id FROM inserted)
        """;

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
            await db.Database.ExecuteSqlRawAsync(PostgreSql,
            [
                new NpgsqlParameter("members", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = members.ToArray() },
                new NpgsqlParameter("campaign", campaignId),
                new NpgsqlParameter("pool", poolId),
                new NpgsqlParameter("now", now.ToUniversalTime()),
            ], cancellationToken);
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
        return (await db.CampaignCodes.Where(c => c.CampaignId == campaignId && EF.Parameter(members.ToList()).Contains(c.MemberId))
            .Select(c => c.MemberId).ToListAsync(cancellationToken)).ToHashSet();
    }
}
