using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class UpdatePlanning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "planned_at",
                table: "incident_updates",
                type: "timestamp with time zone",
                nullable: true);

            // Updates published before planning was recorded were planned then: only new ones may be found unplanned.
            migrationBuilder.Sql("UPDATE incident_updates SET planned_at = created_at");

            migrationBuilder.CreateIndex(
                name: "ix_incident_updates_unplanned",
                table: "incident_updates",
                column: "created_at",
                filter: "planned_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_incident_updates_unplanned",
                table: "incident_updates");

            migrationBuilder.DropColumn(
                name: "planned_at",
                table: "incident_updates");
        }
    }
}
