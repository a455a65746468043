using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeliveryKinds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "deliveries",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "incident_update");

            // Deliveries of maintenances sent before kinds existed say so too.
            migrationBuilder.Sql("UPDATE deliveries SET kind = 'maintenance' WHERE incident_id IN (SELECT id FROM incidents WHERE kind = 'maintenance')");

            migrationBuilder.CreateTable(
                name: "messages",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    purpose = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    incident_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    sealed_content = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_messages", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_messages",
                table: "deliveries",
                columns: new[] { "kind", "id" },
                filter: "kind NOT IN ('incident_update', 'maintenance')");

            migrationBuilder.CreateIndex(
                name: "ix_messages_created_at",
                table: "messages",
                column: "created_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "messages");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_messages",
                table: "deliveries");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "deliveries");
        }
    }
}
