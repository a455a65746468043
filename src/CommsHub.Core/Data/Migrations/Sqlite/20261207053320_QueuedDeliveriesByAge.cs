using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class QueuedDeliveriesByAge : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_queued",
                table: "deliveries",
                columns: new[] { "next_attempt_at", "created_at" },
                filter: "status = 'queued'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_queued",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries",
                columns: new[] { "status", "next_attempt_at" },
                filter: "status = 'queued'");
        }
    }
}
