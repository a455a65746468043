using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class CodePoolCursor : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ordinal",
                table: "pool_codes",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "taken",
                table: "code_pools",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            // Codes already handed out are numbered first, so the cursor (taken) stands just past them.
            migrationBuilder.Sql("""
                UPDATE pool_codes SET ordinal = n.rn
                FROM (SELECT id, row_number() OVER (PARTITION BY pool_id ORDER BY assigned_at IS NULL, id) AS rn FROM pool_codes) AS n
                WHERE pool_codes.id = n.id
                """);
            migrationBuilder.Sql("UPDATE code_pools SET taken = (SELECT count(*) FROM pool_codes p WHERE p.pool_id = code_pools.id AND p.assigned_at IS NOT NULL)");

            migrationBuilder.DropIndex(
                name: "ix_pool_codes_free",
                table: "pool_codes");

            migrationBuilder.DropColumn(
                name: "assigned_at",
                table: "pool_codes");

            migrationBuilder.CreateIndex(
                name: "ix_pool_codes_pool_id_ordinal",
                table: "pool_codes",
                columns: new[] { "pool_id", "ordinal" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_pool_codes_pool_id_ordinal",
                table: "pool_codes");

            migrationBuilder.DropColumn(
                name: "ordinal",
                table: "pool_codes");

            migrationBuilder.DropColumn(
                name: "taken",
                table: "code_pools");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "assigned_at",
                table: "pool_codes",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_pool_codes_free",
                table: "pool_codes",
                columns: new[] { "pool_id", "id" },
                filter: "assigned_at IS NULL");
        }
    }
}
