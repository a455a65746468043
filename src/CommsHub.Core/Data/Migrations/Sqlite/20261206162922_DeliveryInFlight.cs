using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeliveryInFlight : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "in_flight_at",
                table: "deliveries",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "in_flight_at",
                table: "deliveries");
        }
    }
}
