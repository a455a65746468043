using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class QueuedBatchesIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_messages",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_update_id_channel_batch",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_messages",
                table: "deliveries",
                columns: new[] { "kind", "id" },
                filter: "kind NOT IN ('incident_update', 'maintenance', 'campaign')");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_queued_batches",
                table: "deliveries",
                columns: new[] { "update_id", "channel", "batch" },
                filter: "status = 'queued'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_messages",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_queued_batches",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_messages",
                table: "deliveries",
                columns: new[] { "kind", "id" },
                filter: "kind NOT IN ('incident_update', 'maintenance')");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_update_id_channel_batch",
                table: "deliveries",
                columns: new[] { "update_id", "channel", "batch" });
        }
    }
}
