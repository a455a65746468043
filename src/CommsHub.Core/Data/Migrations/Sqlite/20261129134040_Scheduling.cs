using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    /// <summary>Maintenances, scheduled actions and updates, uptime roll-ups. Existing incidents stay incidents; existing updates stay public.</summary>
    public partial class Scheduling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "auto_transition",
                table: "incidents",
                type: "INTEGER",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<long>(
                name: "cancelled_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "incidents",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "incident");

            migrationBuilder.AddColumn<long>(
                name: "operator_reminded_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "reminders",
                table: "incidents",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<long>(
                name: "scheduled_for",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "scheduled_until",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "public",
                table: "incident_updates",
                type: "INTEGER",
                nullable: false,
                defaultValue: true);

            migrationBuilder.AddColumn<string>(
                name: "restore_status",
                table: "incident_components",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "component_uptime_days",
                columns: table => new
                {
                    component_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    day = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    operational = table.Column<double>(type: "REAL", nullable: false),
                    worst = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_component_uptime_days", x => new { x.component_id, x.day });
                    table.ForeignKey(
                        name: "fk_component_uptime_days_components_component_id",
                        column: x => x.component_id,
                        principalTable: "components",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "scheduled_actions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    target_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    due_at = table.Column<long>(type: "INTEGER", nullable: false),
                    lead = table.Column<TimeSpan>(type: "TEXT", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    fired_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cancelled_at = table.Column<long>(type: "INTEGER", nullable: true),
                    outcome = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    job_id = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scheduled_actions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "scheduled_updates",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    incident_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    publish_at = table.Column<long>(type: "INTEGER", nullable: false),
                    state = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    request = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    update_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    error = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scheduled_updates", x => x.id);
                    table.ForeignKey(
                        name: "fk_scheduled_updates_incidents_incident_id",
                        column: x => x.incident_id,
                        principalTable: "incidents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_scheduled_actions_due_at",
                table: "scheduled_actions",
                column: "due_at",
                filter: "fired_at IS NULL AND cancelled_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_scheduled_actions_target_id_due_at",
                table: "scheduled_actions",
                columns: new[] { "target_id", "due_at" });

            migrationBuilder.CreateIndex(
                name: "ix_scheduled_updates_incident_id_publish_at",
                table: "scheduled_updates",
                columns: new[] { "incident_id", "publish_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "component_uptime_days");

            migrationBuilder.DropTable(
                name: "scheduled_actions");

            migrationBuilder.DropTable(
                name: "scheduled_updates");

            migrationBuilder.DropColumn(
                name: "auto_transition",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "cancelled_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "operator_reminded_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "reminders",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "scheduled_for",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "scheduled_until",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "public",
                table: "incident_updates");

            migrationBuilder.DropColumn(
                name: "restore_status",
                table: "incident_components");
        }
    }
}
