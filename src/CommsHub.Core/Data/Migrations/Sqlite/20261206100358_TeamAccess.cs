using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TeamAccess : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "created_by",
                table: "api_keys",
                type: "TEXT",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "expires_at",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "generated",
                table: "api_keys",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "last_used_at",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "revoked_at",
                table: "api_keys",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "scopes",
                table: "api_keys",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            // Every key stored before scopes existed was the one generated at first start, with full rights.
            migrationBuilder.Sql(@"UPDATE api_keys SET scopes = '[""admin""]', generated = 1;");

            migrationBuilder.CreateTable(
                name: "operators",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    role = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    password_hash = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    security_stamp = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    totp_secret = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    two_factor_enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    totp_last_step = table.Column<long>(type: "INTEGER", nullable: true),
                    access_failed_count = table.Column<int>(type: "INTEGER", nullable: false),
                    lockout_end = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_sign_in_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_operators", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_operators_email",
                table: "operators",
                column: "email",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "operators");

            migrationBuilder.DropColumn(
                name: "created_by",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "generated",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "last_used_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "revoked_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "scopes",
                table: "api_keys");
        }
    }
}
