using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PublishingSafety : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "draft",
                table: "incidents",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "draft_update",
                table: "incidents",
                type: "TEXT",
                maxLength: 40000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "edited_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "retracted_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "correction_of",
                table: "incident_updates",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "edited_at",
                table: "incident_updates",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "rendered",
                table: "deliveries",
                type: "TEXT",
                maxLength: 100000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "deleted_at",
                table: "components",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "incident_templates",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    message = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    impact = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    components = table.Column<string>(type: "TEXT", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_incident_templates", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_incident_templates_name",
                table: "incident_templates",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "incident_templates");

            migrationBuilder.DropColumn(
                name: "draft",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "draft_update",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "edited_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "retracted_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "correction_of",
                table: "incident_updates");

            migrationBuilder.DropColumn(
                name: "edited_at",
                table: "incident_updates");

            migrationBuilder.DropColumn(
                name: "rendered",
                table: "deliveries");

            migrationBuilder.DropColumn(
                name: "deleted_at",
                table: "components");
        }
    }
}
