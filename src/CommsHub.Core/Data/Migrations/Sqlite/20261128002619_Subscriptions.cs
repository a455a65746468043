using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Subscriptions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "confirmation_requested_at",
                table: "subscribers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "confirmation_sent_at",
                table: "subscribers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "confirmation_window_start",
                table: "subscribers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "confirmations_in_window",
                table: "subscribers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "protected_secret",
                table: "subscribers",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "unsubscribed_at",
                table: "subscribers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "app_secrets",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    value = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_app_secrets", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    friendly_name = table.Column<string>(type: "TEXT", nullable: true),
                    xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "inbound_messages",
                columns: table => new
                {
                    provider = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    message_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    received_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_inbound_messages", x => new { x.provider, x.message_id });
                });

            migrationBuilder.CreateTable(
                name: "suppressions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    channel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    address_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_suppressions", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_suppressions_channel_address_hash",
                table: "suppressions",
                columns: new[] { "channel", "address_hash" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "app_secrets");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "inbound_messages");

            migrationBuilder.DropTable(
                name: "suppressions");

            migrationBuilder.DropColumn(
                name: "confirmation_requested_at",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "confirmation_sent_at",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "confirmation_window_start",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "confirmations_in_window",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "protected_secret",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "unsubscribed_at",
                table: "subscribers");
        }
    }
}
