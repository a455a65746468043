using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ConsoleIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_subscriber_components_component_id",
                table: "subscriber_components");

            migrationBuilder.CreateIndex(
                name: "ix_subscriber_components_component_id_subscriber_id",
                table: "subscriber_components",
                columns: new[] { "component_id", "subscriber_id" });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_recipient_id",
                table: "deliveries",
                columns: new[] { "recipient", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_update_unsuccessful",
                table: "deliveries",
                columns: new[] { "update_id", "status", "id" },
                filter: "status IN ('failed', 'bounced', 'suppressed')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_subscriber_components_component_id_subscriber_id",
                table: "subscriber_components");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_recipient_id",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_update_unsuccessful",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_subscriber_components_component_id",
                table: "subscriber_components",
                column: "component_id");
        }
    }
}
