using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class IncidentPostmortem : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "postmortem_body",
                table: "incidents",
                type: "TEXT",
                maxLength: 100000,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "postmortem_notified_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "postmortem_published_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "postmortem_updated_at",
                table: "incidents",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "postmortem_body",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "postmortem_notified_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "postmortem_published_at",
                table: "incidents");

            migrationBuilder.DropColumn(
                name: "postmortem_updated_at",
                table: "incidents");
        }
    }
}
