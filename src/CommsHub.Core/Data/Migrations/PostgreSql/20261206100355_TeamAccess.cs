using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class TeamAccess : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "name",
                table: "api_keys",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.AddColumn<string>(
                name: "created_by",
                table: "api_keys",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "generated",
                table: "api_keys",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "last_used_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "revoked_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<List<string>>(
                name: "scopes",
                table: "api_keys",
                type: "text[]",
                nullable: false,
                defaultValueSql: "'{}'");

            // Every key stored before scopes existed was the one generated at first start, with full rights.
            migrationBuilder.Sql(@"UPDATE api_keys SET scopes = ARRAY['admin'], generated = TRUE;");

            migrationBuilder.CreateTable(
                name: "operators",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    password_hash = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    security_stamp = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    totp_secret = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    two_factor_enabled = table.Column<bool>(type: "boolean", nullable: false),
                    totp_last_step = table.Column<long>(type: "bigint", nullable: true),
                    access_failed_count = table.Column<int>(type: "integer", nullable: false),
                    lockout_end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_sign_in_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
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

            migrationBuilder.AlterColumn<string>(
                name: "name",
                table: "api_keys",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldMaxLength: 200);
        }
    }
}
