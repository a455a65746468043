using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InFlightMarksPerLease : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "previous_lease_token",
                table: "deliveries",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "in_flight_marks",
                columns: table => new
                {
                    lease_token = table.Column<Guid>(type: "TEXT", nullable: false),
                    since = table.Column<long>(type: "INTEGER", nullable: false),
                    through_id = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_in_flight_marks", x => x.lease_token);
                });

            // Deliveries a sender had on the wire when the last version stopped stay in doubt: their lease's mark says so.
            migrationBuilder.Sql("INSERT INTO in_flight_marks (lease_token, since, through_id) SELECT lease_token, min(in_flight_at), max(id) FROM deliveries WHERE in_flight_at IS NOT NULL AND lease_token IS NOT NULL AND status = 'queued' GROUP BY lease_token");

            migrationBuilder.DropColumn(
                name: "in_flight_at",
                table: "deliveries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "in_flight_marks");

            migrationBuilder.DropColumn(
                name: "previous_lease_token",
                table: "deliveries");

            migrationBuilder.AddColumn<long>(
                name: "in_flight_at",
                table: "deliveries",
                type: "INTEGER",
                nullable: true);
        }
    }
}
