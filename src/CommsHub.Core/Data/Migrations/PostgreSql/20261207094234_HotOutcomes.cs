using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class HotOutcomes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "open_batches",
                columns: table => new
                {
                    update_id = table.Column<Guid>(type: "uuid", nullable: false),
                    channel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    batch = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    check_after = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_open_batches", x => new { x.update_id, x.channel, x.batch });
                });

            migrationBuilder.CreateTable(
                name: "provider_messages",
                columns: table => new
                {
                    provider_message_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    delivery_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provider_messages", x => x.provider_message_id);
                });

            // The batches still holding queued deliveries, and the text messages' provider ids, as they stand.
            migrationBuilder.Sql("""
                INSERT INTO open_batches (update_id, channel, batch, created_at)
                SELECT update_id, channel, batch, min(created_at) FROM deliveries WHERE status = 'queued' GROUP BY update_id, channel, batch;
                """);
            migrationBuilder.Sql("""
                INSERT INTO provider_messages (provider_message_id, delivery_id)
                SELECT DISTINCT ON (provider_message_id) provider_message_id, id FROM deliveries WHERE channel = 'sms' AND provider_message_id IS NOT NULL ORDER BY provider_message_id, id;
                """);

            migrationBuilder.DropIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_queued",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_queued_batches",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_update_unsuccessful",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_batches",
                table: "deliveries",
                columns: new[] { "update_id", "channel", "batch" });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_retries",
                table: "deliveries",
                column: "next_attempt_at",
                filter: "next_attempt_at IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "open_batches");

            migrationBuilder.DropTable(
                name: "provider_messages");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_batches",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_retries",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries",
                column: "provider_message_id",
                filter: "provider_message_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_queued",
                table: "deliveries",
                columns: new[] { "next_attempt_at", "created_at" },
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_queued_batches",
                table: "deliveries",
                columns: new[] { "update_id", "channel", "batch" },
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_update_unsuccessful",
                table: "deliveries",
                columns: new[] { "update_id", "status", "id" },
                filter: "status IN ('failed', 'bounced', 'suppressed')");
        }
    }
}
