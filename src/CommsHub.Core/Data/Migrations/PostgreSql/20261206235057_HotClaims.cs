using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class HotClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_lease_token",
                table: "deliveries");

            migrationBuilder.AlterTable(
                name: "deliveries")
                .Annotation("Npgsql:StorageParameter:fillfactor", 50);

            migrationBuilder.AddColumn<int>(
                name: "batch",
                table: "in_flight_marks",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "channel",
                table: "in_flight_marks",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<Guid>(
                name: "update_id",
                table: "in_flight_marks",
                type: "uuid",
                nullable: false,
                defaultValue: new Guid("00000000-0000-0000-0000-000000000000"));

            // Marks carried over from in_flight_at learn their batch: one scan of deliveries, once.
            migrationBuilder.Sql("UPDATE in_flight_marks AS m SET update_id = d.update_id, channel = d.channel, batch = d.batch FROM deliveries AS d WHERE d.lease_token = m.lease_token");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "batch",
                table: "in_flight_marks");

            migrationBuilder.DropColumn(
                name: "channel",
                table: "in_flight_marks");

            migrationBuilder.DropColumn(
                name: "update_id",
                table: "in_flight_marks");

            migrationBuilder.AlterTable(
                name: "deliveries")
                .OldAnnotation("Npgsql:StorageParameter:fillfactor", 50);

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_lease_token",
                table: "deliveries",
                column: "lease_token",
                filter: "lease_token IS NOT NULL");
        }
    }
}
