using CommsHub.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace CommsHub.Core.Campaigns;

/// <summary>
/// Gives each member of a page one code of the pool, as a database fact. A pool's codes are handed out in their
/// import order: the pool's cursor (<see cref="CodePool.Taken"/>) is locked, the members of the page without a code
/// get the next codes after it, and the cursor moves past them, in one transaction. Two planners drawing on one pool
/// take turns on the cursor's lock, and the keys (campaign, member) and (code) refuse a second code for a member or a
/// second member for a code whatever runs twice. A member who has a code keeps it: a re-plan after a crash assigns
/// nothing new.
/// </summary>
/// <remarks>
/// Taking a code is one row written (the assignment) and the cursor once per page. An earlier design marked each code
/// taken on its own row: a second write per code, and not a HOT one (the mark was in the free codes' index), which
/// made assigning a page's codes the largest statement of a campaign.
/// </remarks>
public sealed class CodeAssignment(CommsHubDbContext db, TimeProvider time)
{
    // Sent as one batch: PostgreSQL runs both in one implicit transaction, and READ COMMITTED gives the second
    // statement a snapshot taken after the first holds the cursor's lock, so it sees everything the pool's previous
    // holder committed (its codes and its cursor) and takes none of them again.
    private const string LockCursor = "SELECT taken FROM code_pools WHERE id = @pool FOR UPDATE";

    private const string Assign = """
        WITH need AS (
            SELECT m.id AS member_id, row_number() OVER (ORDER BY m.id) AS rn
            FROM unnest(@members) AS m(id)
            -- OFFSET 0 keeps this a probe of the primary key per member: as a join, PostgreSQL hashed every code the
            -- campaign had assigned so far on each page (94 ms at page 100 of a million, growing with each page).
            WHERE NOT EXISTS (SELECT 1 FROM campaign_codes c WHERE c.campaign_id = @campaign AND c.member_id = m.id OFFSET 0)),
        cursor AS (SELECT taken FROM code_pools WHERE id = @pool),
        next AS (
            SELECT p.id, p.ordinal - cursor.taken AS rn FROM pool_codes p, cursor
            WHERE p.pool_id = @pool AND p.ordinal > cursor.taken AND p.ordinal <= cursor.taken + (SELECT count(*) FROM need)),
        inserted AS (
            INSERT INTO campaign_codes (campaign_id, member_id, code_id, assigned_at)
            SELECT @campaign, need.member_id, next.id, @now FROM next JOIN need ON need.rn = next.rn
            RETURNING code_id),
        moved AS (UPDATE code_pools SET taken = taken + (SELECT count(*) FROM inserted) WHERE id = @pool)
        SELECT (SELECT count(*) FROM need), (SELECT count(*) FROM inserted)
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
            var (needed, assigned) = await AssignPostgreSqlAsync(campaignId, poolId, members, now, cancellationToken);
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
            var pool = await db.CodePools.SingleAsync(p => p.Id == poolId, cancellationToken);
            var next = await db.PoolCodes.Where(c => c.PoolId == poolId && c.Ordinal > pool.Taken).OrderBy(c => c.Ordinal).Take(need.Count)
                .Select(c => c.Id).ToListAsync(cancellationToken);
            foreach (var (member, code) in need.Zip(next))
            {
                db.CampaignCodes.Add(new CampaignCode { CampaignId = campaignId, MemberId = member, CodeId = code, AssignedAt = now });
            }
            pool.Taken += Math.Min(need.Count, next.Count);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }
        return (await db.CampaignCodes.AsNoTracking().Where(c => c.CampaignId == campaignId && EF.Parameter(members.ToList()).Contains(c.MemberId))
            .Select(c => c.MemberId).ToListAsync(cancellationToken)).ToHashSet();
    }

    private async Task<(long Needed, long Assigned)> AssignPostgreSqlAsync(Guid campaignId, Guid poolId, IReadOnlyList<Guid> members,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var batch = new NpgsqlBatch(connection) { Transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction() };
            var lockCursor = new NpgsqlBatchCommand(LockCursor);
            lockCursor.Parameters.AddWithValue("pool", poolId);
            var assign = new NpgsqlBatchCommand(Assign);
            assign.Parameters.Add(new NpgsqlParameter("members", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = members.ToArray() });
            assign.Parameters.AddWithValue("campaign", campaignId);
            assign.Parameters.AddWithValue("pool", poolId);
            assign.Parameters.AddWithValue("now", now.ToUniversalTime());
            batch.BatchCommands.Add(lockCursor);
            batch.BatchCommands.Add(assign);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
