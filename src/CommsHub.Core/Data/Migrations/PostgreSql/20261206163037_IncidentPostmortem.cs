using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
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
                type: "character varying(100000)",
                maxLength: 100000,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "postmortem_notified_at",
                table: "incidents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "postmortem_published_at",
                table: "incidents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "postmortem_updated_at",
                table: "incidents",
                type: "timestamp with time zone",
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
