using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class DeliveryPartialIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries",
                column: "provider_message_id",
                filter: "provider_message_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries",
                columns: new[] { "status", "next_attempt_at" },
                filter: "status = 'queued'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_provider_message_id",
                table: "deliveries",
                column: "provider_message_id");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_status_next_attempt_at",
                table: "deliveries",
                columns: new[] { "status", "next_attempt_at" });
        }
    }
}
