using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Components;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Incidents;
using CommsHub.Core.Messaging;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CommsHub.Core.Data;

/// <summary>
/// The one model. Each provider has a subclass only so that it can own its migration set
/// (<see cref="PostgreSqlCommsHubDbContext"/>, <see cref="SqliteCommsHubDbContext"/>).
/// Tables and columns are snake_case so raw SQL on the hot paths reads naturally.
/// </summary>
public abstract class CommsHubDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Component> Components => Set<Component>();
    public DbSet<Incident> Incidents => Set<Incident>();
    public DbSet<IncidentUpdate> IncidentUpdates => Set<IncidentUpdate>();
    public DbSet<Subscriber> Subscribers => Set<Subscriber>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<OutboundMessage> Messages => Set<OutboundMessage>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Operator> Operators => Set<Operator>();
    public DbSet<Suppression> Suppressions => Set<Suppression>();
    public DbSet<InboundMessage> InboundMessages => Set<InboundMessage>();
    public DbSet<AppSecret> AppSecrets => Set<AppSecret>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<Scheduling.ScheduledAction> ScheduledActions => Set<Scheduling.ScheduledAction>();
    public DbSet<ScheduledUpdate> ScheduledUpdates => Set<ScheduledUpdate>();
    public DbSet<IncidentTemplate> IncidentTemplates => Set<IncidentTemplate>();
    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();
    public DbSet<InFlightMark> InFlightMarks => Set<InFlightMark>();
    public DbSet<OpenBatch> OpenBatches => Set<OpenBatch>();
    public DbSet<ProviderMessage> ProviderMessages => Set<ProviderMessage>();
    public DbSet<Audit.AuditEntry> AuditEntries => Set<Audit.AuditEntry>();
    public DbSet<Audit.AuditCheckpoint> AuditCheckpoints => Set<Audit.AuditCheckpoint>();
    public DbSet<Campaigns.Audience> Audiences => Set<Campaigns.Audience>();
    public DbSet<Campaigns.AudienceMember> AudienceMembers => Set<Campaigns.AudienceMember>();
    public DbSet<Campaigns.CodePool> CodePools => Set<Campaigns.CodePool>();
    public DbSet<Campaigns.PoolCode> PoolCodes => Set<Campaigns.PoolCode>();
    public DbSet<Campaigns.Campaign> Campaigns => Set<Campaigns.Campaign>();
    public DbSet<Campaigns.CampaignCode> CampaignCodes => Set<Campaigns.CampaignCode>();
    public DbSet<Campaigns.CampaignOptOut> CampaignOptOuts => Set<Campaigns.CampaignOptOut>();

    public abstract DatabaseProvider Provider { get; }

    /// <summary>At most this many changed entities are saved in one round trip (<see cref="SaveChangesInOneRoundTripAsync"/>): far below
    /// the provider's batch size (1,000 statements), so EF sends them as one batch.</summary>
    public const int OneRoundTripLimit = 200;

    /// <summary>
    /// Saves the tracked changes atomically in one round trip on PostgreSQL: one batch of statements and no transaction of EF's
    /// own. The statements of a batch run in one implicit transaction that the server commits once the last has run (the
    /// protocol's Sync), so the row locks they take are held for the batch's run on the server only. Under EF's transaction they
    /// are held until the client's COMMIT, a second round trip: a client short of CPU holds them for as long as it waits for it,
    /// and every writer of the same row queues behind it (an incident's row, for each update posted to it). Anything else (a
    /// transaction already open, more changes than <see cref="OneRoundTripLimit"/>, SQLite) saves as <c>SaveChangesAsync</c> does.
    /// </summary>
    public async Task<int> SaveChangesInOneRoundTripAsync(CancellationToken cancellationToken)
    {
        if (Provider != DatabaseProvider.PostgreSql || Database.CurrentTransaction is not null
            || ChangeTracker.Entries().Count(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted) > OneRoundTripLimit)
        {
            return await SaveChangesAsync(cancellationToken);
        }
        var behavior = Database.AutoTransactionBehavior;
        Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        try
        {
            return await SaveChangesAsync(cancellationToken);
        }
        finally
        {
            Database.AutoTransactionBehavior = behavior;
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<IncidentStatus>().HaveConversion<WireConverter<IncidentStatus>>().HaveMaxLength(32);
        configurationBuilder.Properties<Impact>().HaveConversion<WireConverter<Impact>>().HaveMaxLength(32);
        configurationBuilder.Properties<ComponentStatus>().HaveConversion<WireConverter<ComponentStatus>>().HaveMaxLength(32);
        configurationBuilder.Properties<Channel>().HaveConversion<WireConverter<Channel>>().HaveMaxLength(16);
        configurationBuilder.Properties<DeliveryKind>().HaveConversion<WireConverter<DeliveryKind>>().HaveMaxLength(32);
        configurationBuilder.Properties<DeliveryStatus>().HaveConversion<WireConverter<DeliveryStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<SubscriberStatus>().HaveConversion<WireConverter<SubscriberStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<IncidentKind>().HaveConversion<WireConverter<IncidentKind>>().HaveMaxLength(16);
        configurationBuilder.Properties<ScheduledUpdateState>().HaveConversion<WireConverter<ScheduledUpdateState>>().HaveMaxLength(16);
        configurationBuilder.Properties<Campaigns.CampaignKind>().HaveConversion<WireConverter<Campaigns.CampaignKind>>().HaveMaxLength(16);
        configurationBuilder.Properties<Campaigns.CampaignStatus>().HaveConversion<WireConverter<Campaigns.CampaignStatus>>().HaveMaxLength(16);
        configurationBuilder.Properties<Scheduling.ScheduledActionKind>().HaveConversion<WireConverter<Scheduling.ScheduledActionKind>>().HaveMaxLength(32);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Component>(e =>
        {
            e.Property(c => c.Name).HasMaxLength(200);
            e.Property(c => c.Description).HasMaxLength(2000);
            e.Property(c => c.Group).HasMaxLength(200);
            // A deleted component is gone from every query; past incidents read its name with IgnoreQueryFilters.
            e.HasQueryFilter(c => c.DeletedAt == null);
        });

        modelBuilder.Entity<ComponentStatusHistory>(e =>
        {
            e.ToTable("component_status_history");
            e.HasIndex(h => new { h.ComponentId, h.At });
            e.HasOne<Component>().WithMany().HasForeignKey(h => h.ComponentId);
        });

        modelBuilder.Entity<Incident>(e =>
        {
            e.Property(i => i.Title).HasMaxLength(500);
            e.HasMany(i => i.Updates).WithOne().HasForeignKey(u => u.IncidentId);
            e.HasMany(i => i.Components).WithOne().HasForeignKey(c => c.IncidentId);
            e.HasIndex(i => new { i.Status, i.CreatedAt });
            e.PrimitiveCollection(i => i.Reminders);
            e.Property(i => i.DraftUpdate).HasMaxLength(40_000);
            e.Property(i => i.PostmortemBody).HasMaxLength(Postmortems.MaxBodyLength);
            e.Ignore(i => i.IsOpen);
        });
        modelBuilder.Entity<IncidentComponent>(e =>
        {
            e.ToTable("incident_components");
            e.HasKey(c => new { c.IncidentId, c.ComponentId });
            e.HasOne<Component>().WithMany().HasForeignKey(c => c.ComponentId);
        });

        modelBuilder.Entity<IncidentUpdate>(e =>
        {
            e.Property(u => u.Message).HasMaxLength(20_000);
            e.Property(u => u.Tally).HasMaxLength(8_000);
            e.HasMany(u => u.ComponentChanges).WithOne().HasForeignKey(c => c.UpdateId);
            e.PrimitiveCollection(u => u.Channels).ElementType().HasConversion<WireConverter<Channel>>();
            e.HasIndex(u => new { u.IncidentId, u.CreatedAt });
            e.HasIndex(u => u.CreatedAt).HasFilter("planned_at IS NULL").HasDatabaseName("ix_incident_updates_unplanned");
        });
        modelBuilder.Entity<ComponentChange>(e =>
        {
            e.ToTable("component_changes");
            e.HasKey(c => new { c.UpdateId, c.ComponentId });
            e.HasOne<Component>().WithMany().HasForeignKey(c => c.ComponentId);
        });

        modelBuilder.Entity<Subscriber>(e =>
        {
            e.Property(s => s.Address).HasMaxLength(2048);
            // A database default too, so bulk and hand-written inserts need not name it.
            e.Property(s => s.ConfirmationsInWindow).HasDefaultValue(0);
            e.HasIndex(s => new { s.Channel, s.Address }).IsUnique();
            // The planner pages confirmed subscribers of a channel by id.
            e.HasIndex(s => new { s.Channel, s.Status, s.Id });
            e.HasMany(s => s.Components).WithOne().HasForeignKey(c => c.SubscriberId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<SubscriberComponent>(e =>
        {
            e.ToTable("subscriber_components");
            e.HasKey(c => new { c.SubscriberId, c.ComponentId });
            e.HasOne<Component>().WithMany().HasForeignKey(c => c.ComponentId);
            // The subscribers of a component (the console's filter), in subscriber order for keyset paging.
            e.HasIndex(c => new { c.ComponentId, c.SubscriberId });
        });

        modelBuilder.Entity<Delivery>(e =>
        {
            e.Property(d => d.Recipient).HasMaxLength(2048);
            e.Property(d => d.Provider).HasMaxLength(32);
            e.Property(d => d.ProviderMessageId).HasMaxLength(200);
            e.Property(d => d.LastError).HasMaxLength(2000);
            e.Property(d => d.Rendered).HasMaxLength(100_000);
            e.HasIndex(d => new { d.UpdateId, d.SubscriberId, d.Channel }).IsUnique();
            // No index names a column an outcome changes (status, provider_message_id, sent_at, last_error; next_attempt_at only
            // when a retry is scheduled or ends): recording an outcome then writes each row's new version beside the old one
            // (a HOT update, with the free half of each page, PostgreSqlCommsHubDbContext) instead of into every index below.
            // Queued batches are found through open_batches (OpenBatch) and a provider's message id through provider_messages.
            // A sender's claim and its lease's rows: the batch's rows, queued or not (docs/benchmarks.md, "Plans that flip").
            e.HasIndex(d => new { d.UpdateId, d.Channel, d.Batch }).HasDatabaseName("ix_deliveries_batches");
            // An update's deliveries page by id (the console, the API, the CSV export). Without it PostgreSQL
            // walks the primary key from the oldest delivery ever made, filtering on the update: 3.7 s a
            // page at 3,000,000 older rows (docs/benchmarks.md, "History").
            e.HasIndex(d => new { d.UpdateId, d.Id });
            e.HasIndex(d => new { d.IncidentId, d.Id });
            // The redrive's retries (DeliveryRedrive): a row enters only while a retry is scheduled.
            e.HasIndex(d => d.NextAttemptAt).HasFilter("next_attempt_at IS NOT NULL").HasDatabaseName("ix_deliveries_retries");
            // "What did this person get": a recipient's deliveries, newest by id, without reading the table; and the
            // deliveries a SendGrid event names (its message id and the recipient's address).
            e.HasIndex(d => new { d.Recipient, d.Id });
            // Written by hand-made bulk inserts too: an update's deliveries need not name their kind.
            e.Property(d => d.Kind).HasDefaultValue(DeliveryKind.IncidentUpdate).HasSentinel(DeliveryKind.IncidentUpdate);
            // "Which confirmations and notices went out": the few rows that are not an update's or a campaign's enter it
            // (a campaign's are many, and found by its id like an update's).
            e.HasIndex(d => new { d.Kind, d.Id }).HasFilter("kind NOT IN ('incident_update', 'maintenance', 'campaign')").HasDatabaseName("ix_deliveries_messages");
        });
        modelBuilder.Entity<InFlightMark>(e =>
        {
            e.ToTable("in_flight_marks");
            e.HasKey(m => m.LeaseToken);
        });
        modelBuilder.Entity<OpenBatch>(e =>
        {
            e.ToTable("open_batches");
            e.HasKey(b => new { b.UpdateId, b.Channel, b.Batch });
        });
        modelBuilder.Entity<ProviderMessage>(e =>
        {
            e.ToTable("provider_messages");
            e.HasKey(m => m.ProviderMessageId);
            e.Property(m => m.ProviderMessageId).HasMaxLength(200);
        });
        modelBuilder.Entity<OutboundMessage>(e =>
        {
            e.ToTable("messages");
            e.Property(m => m.Purpose).HasMaxLength(64);
            e.HasIndex(m => m.CreatedAt);
        });

        modelBuilder.Entity<StatusPage.ComponentUptimeDay>(e =>
        {
            e.ToTable("component_uptime_days");
            e.HasKey(d => new { d.ComponentId, d.Day });
            e.HasOne<Component>().WithMany().HasForeignKey(d => d.ComponentId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Scheduling.ScheduledAction>(e =>
        {
            e.ToTable("scheduled_actions");
            e.Property(a => a.Outcome).HasMaxLength(2000);
            e.Property(a => a.JobId).HasMaxLength(100);
            e.HasIndex(a => new { a.TargetId, a.DueAt });
            // The reconciler reads the pending ones.
            e.HasIndex(a => a.DueAt).HasFilter("fired_at IS NULL AND cancelled_at IS NULL");
            e.Ignore(a => a.IsPending);
        });
        modelBuilder.Entity<ScheduledUpdate>(e =>
        {
            e.ToTable("scheduled_updates");
            e.HasIndex(u => new { u.IncidentId, u.PublishAt });
            e.HasOne<Incident>().WithMany().HasForeignKey(u => u.IncidentId);
        });

        modelBuilder.Entity<IncidentTemplate>(e =>
        {
            e.ToTable("incident_templates");
            e.Property(t => t.Name).HasMaxLength(200);
            e.Property(t => t.Title).HasMaxLength(500);
            e.Property(t => t.Message).HasMaxLength(20_000);
            e.Property(t => t.Components).HasConversion(
                v => JsonSerializer.Serialize(v, JsonSerializerOptions.Web),
                v => JsonSerializer.Deserialize<List<TemplateComponent>>(v, JsonSerializerOptions.Web) ?? new List<TemplateComponent>(),
                new ValueComparer<List<TemplateComponent>>((a, b) => a!.SequenceEqual(b!), v => v.Aggregate(0, (h, c) => HashCode.Combine(h, c)), v => v.ToList()));
            e.HasIndex(t => t.Name).IsUnique();
        });

        modelBuilder.Entity<DeliveryAttempt>(e =>
        {
            e.ToTable("delivery_attempts");
            e.Property(a => a.Provider).HasMaxLength(32);
            e.Property(a => a.ErrorCode).HasMaxLength(64);
            e.Property(a => a.Error).HasMaxLength(2000);
            e.Property(a => a.ProviderMessageId).HasMaxLength(200);
            e.HasIndex(a => new { a.UpdateId, a.Channel, a.Batch });
        });

        modelBuilder.Entity<Audit.AuditEntry>(e =>
        {
            e.ToTable("audit_entries");
            e.Property(a => a.Actor).HasMaxLength(100);
            e.Property(a => a.Action).HasMaxLength(100);
            e.Property(a => a.Subject).HasMaxLength(100);
            e.Property(a => a.Source).HasMaxLength(100);
            e.Property(a => a.PrevHash).HasMaxLength(64);
            e.Property(a => a.Hash).HasMaxLength(64);
            e.HasIndex(a => a.Seq).IsUnique();
            // The chainer reads what is not chained yet.
            e.HasIndex(a => a.Id).HasFilter("seq IS NULL").HasDatabaseName("ix_audit_entries_unchained");
        });
        modelBuilder.Entity<Audit.AuditCheckpoint>(e =>
        {
            e.ToTable("audit_checkpoints");
            e.HasKey(c => c.Seq);
            e.Property(c => c.Seq).ValueGeneratedNever();
            e.Property(c => c.Hash).HasMaxLength(64);
        });

        ConfigureCampaigns(modelBuilder);

        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.Property(m => m.MessageType).HasMaxLength(300);
            e.Property(m => m.TraceParent).HasMaxLength(64);
            e.HasIndex(m => m.MessageId).IsUnique();
            e.HasIndex(m => new { m.PublishedAt, m.Id });
        });

        modelBuilder.Entity<Suppression>(e =>
        {
            e.Property(x => x.AddressHash).HasMaxLength(64);
            e.Property(x => x.Reason).HasMaxLength(200);
            e.HasIndex(x => new { x.Channel, x.AddressHash }).IsUnique();
        });

        modelBuilder.Entity<InboundMessage>(e =>
        {
            e.HasKey(x => new { x.Provider, x.MessageId });
            e.Property(x => x.Provider).HasMaxLength(32);
            e.Property(x => x.MessageId).HasMaxLength(200);
        });

        modelBuilder.Entity<AppSecret>(e =>
        {
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Value).HasMaxLength(500);
        });

        modelBuilder.Entity<ApiKey>(e =>
        {
            e.Property(k => k.Hash).HasMaxLength(64);
            e.HasIndex(k => k.Hash).IsUnique();
            e.Property(k => k.Name).HasMaxLength(200);
            e.Property(k => k.CreatedBy).HasMaxLength(300);
            e.PrimitiveCollection(k => k.Scopes);
        });

        modelBuilder.Entity<Operator>(e =>
        {
            e.ToTable("operators");
            e.Property(o => o.Email).HasMaxLength(254);
            e.HasIndex(o => o.Email).IsUnique();
            e.Property(o => o.Name).HasMaxLength(200);
            e.Property(o => o.Role).HasMaxLength(16);
            e.Property(o => o.PasswordHash).HasMaxLength(500);
            e.Property(o => o.SecurityStamp).HasMaxLength(64);
            e.Property(o => o.TotpSecret).HasMaxLength(1000);
        });
    }

    private static void ConfigureCampaigns(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Campaigns.Audience>(e =>
        {
            e.ToTable("audiences");
            e.Property(a => a.Source).HasMaxLength(64);
        });
        modelBuilder.Entity<Campaigns.AudienceMember>(e =>
        {
            e.ToTable("audience_members");
            e.Property(m => m.ExternalId).HasMaxLength(200);
            e.Property(m => m.Email).HasMaxLength(254);
            e.Property(m => m.Phone).HasMaxLength(32);
            e.Property(m => m.Name).HasMaxLength(200);
            e.Property(m => m.Locale).HasMaxLength(35);
            // The planner pages an audience by member id.
            e.HasIndex(m => new { m.AudienceId, m.Id });
            e.HasOne<Campaigns.Audience>().WithMany().HasForeignKey(m => m.AudienceId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<Campaigns.CodePool>(e =>
        {
            e.ToTable("code_pools");
            e.Ignore(p => p.Free);
        });
        modelBuilder.Entity<Campaigns.PoolCode>(e =>
        {
            e.ToTable("pool_codes");
            e.Property(c => c.Code).HasMaxLength(100);
            e.HasIndex(c => new { c.PoolId, c.Code }).IsUnique();
            // The assignment reads the next n codes after the pool's cursor.
            e.HasIndex(c => new { c.PoolId, c.Ordinal }).IsUnique();
            e.HasOne<Campaigns.CodePool>().WithMany().HasForeignKey(c => c.PoolId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<Campaigns.Campaign>(e =>
        {
            e.ToTable("campaigns");
            e.Property(c => c.Title).HasMaxLength(500);
            e.Property(c => c.Message).HasMaxLength(5000);
            e.Property(c => c.Tally).HasMaxLength(8_000);
            e.PrimitiveCollection(c => c.Channels).ElementType().HasConversion<WireConverter<Channel>>();
            e.HasOne<Campaigns.Audience>().WithMany().HasForeignKey(c => c.AudienceId);
            e.HasOne<Campaigns.CodePool>().WithMany().HasForeignKey(c => c.CodePoolId);
        });
        modelBuilder.Entity<Campaigns.CampaignCode>(e =>
        {
            e.ToTable("campaign_codes");
            e.HasKey(c => new { c.CampaignId, c.MemberId });
            e.HasIndex(c => c.CodeId).IsUnique();
            // No foreign keys: the assignment reads its codes from pool_codes in the same statement, for a campaign being sent,
            // and neither campaigns nor codes are ever deleted. Their checks ran per row (a lock on each code and on the
            // campaign): about half the cost of assigning a page's codes.
        });
        modelBuilder.Entity<Campaigns.CampaignOptOut>(e =>
        {
            e.ToTable("campaign_opt_outs");
            e.HasKey(o => new { o.Channel, o.AddressHash });
            e.Property(o => o.AddressHash).HasMaxLength(64);
        });
    }

    private sealed class WireConverter<TEnum>() : ValueConverter<TEnum, string>(v => v.ToWire(), v => Wire.Parse<TEnum>(v))
        where TEnum : struct, Enum;
}

public enum DatabaseProvider { Sqlite, PostgreSql }
