using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <summary>
    /// An attempt row is one provider request (an email batch's thousand recipients in one row), found through its batch:
    /// each per-delivery row becomes a row of its delivery's batch listing that one delivery.
    /// </summary>
    public partial class AttemptPerRequest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "update_id",
                table: "delivery_attempts",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "channel",
                table: "delivery_attempts",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "batch",
                table: "delivery_attempts",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<Guid[]>(
                name: "delivery_ids",
                table: "delivery_attempts",
                type: "uuid[]",
                nullable: true);

            // Attempts whose delivery is gone were unreachable; the rest move to their delivery's batch.
            migrationBuilder.Sql("""
                DELETE FROM delivery_attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id);
                UPDATE delivery_attempts a SET update_id = d.update_id, channel = d.channel, batch = d.batch, delivery_ids = ARRAY[a.delivery_id]
                FROM deliveries d WHERE d.id = a.delivery_id;
                ALTER TABLE delivery_attempts ALTER COLUMN update_id SET NOT NULL, ALTER COLUMN channel SET NOT NULL,
                    ALTER COLUMN batch SET NOT NULL, ALTER COLUMN delivery_ids SET NOT NULL;
                """);

            migrationBuilder.DropIndex(
                name: "ix_delivery_attempts_delivery_id_number",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "delivery_id",
                table: "delivery_attempts");

            migrationBuilder.CreateIndex(
                name: "ix_delivery_attempts_update_id_channel_batch",
                table: "delivery_attempts",
                columns: new[] { "update_id", "channel", "batch" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "delivery_id",
                table: "delivery_attempts",
                type: "uuid",
                nullable: true);

            // One row per delivery again.
            migrationBuilder.Sql("""
                INSERT INTO delivery_attempts (update_id, channel, batch, delivery_ids, delivery_id, number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms)
                SELECT update_id, channel, batch, delivery_ids, unnest(delivery_ids), number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms
                FROM delivery_attempts;
                DELETE FROM delivery_attempts WHERE delivery_id IS NULL;
                ALTER TABLE delivery_attempts ALTER COLUMN delivery_id SET NOT NULL;
                """);

            migrationBuilder.DropIndex(
                name: "ix_delivery_attempts_update_id_channel_batch",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "batch",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "channel",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "delivery_ids",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "update_id",
                table: "delivery_attempts");

            migrationBuilder.CreateIndex(
                name: "ix_delivery_attempts_delivery_id_number",
                table: "delivery_attempts",
                columns: new[] { "delivery_id", "number" });
        }
    }
}
