using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Campaigns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "audiences",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    source = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    count = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audiences", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "campaign_opt_outs",
                columns: table => new
                {
                    channel = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    address_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaign_opt_outs", x => new { x.channel, x.address_hash });
                });

            migrationBuilder.CreateTable(
                name: "code_pools",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    count = table.Column<int>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_code_pools", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "audience_members",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    audience_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    external_id = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    phone = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    locale = table.Column<string>(type: "TEXT", maxLength: 35, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audience_members", x => x.id);
                    table.ForeignKey(
                        name: "fk_audience_members_audiences_audience_id",
                        column: x => x.audience_id,
                        principalTable: "audiences",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "campaigns",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    message = table.Column<string>(type: "TEXT", maxLength: 5000, nullable: false),
                    incident_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    channels = table.Column<string>(type: "TEXT", nullable: false),
                    audience_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    code_pool_id = table.Column<Guid>(type: "TEXT", nullable: true),
                    send_at = table.Column<long>(type: "INTEGER", nullable: true),
                    status = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    sent_at = table.Column<long>(type: "INTEGER", nullable: true),
                    cancelled_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaigns", x => x.id);
                    table.ForeignKey(
                        name: "fk_campaigns_audiences_audience_id",
                        column: x => x.audience_id,
                        principalTable: "audiences",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_campaigns_code_pools_code_pool_id",
                        column: x => x.code_pool_id,
                        principalTable: "code_pools",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "pool_codes",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    pool_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    code = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    assigned_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pool_codes", x => x.id);
                    table.ForeignKey(
                        name: "fk_pool_codes_code_pools_pool_id",
                        column: x => x.pool_id,
                        principalTable: "code_pools",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "campaign_codes",
                columns: table => new
                {
                    campaign_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    member_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    code_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    assigned_at = table.Column<long>(type: "INTEGER", nullable: false),
                    redeemed_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_campaign_codes", x => new { x.campaign_id, x.member_id });
                    table.ForeignKey(
                        name: "fk_campaign_codes_campaigns_campaign_id",
                        column: x => x.campaign_id,
                        principalTable: "campaigns",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_campaign_codes_pool_codes_code_id",
                        column: x => x.code_id,
                        principalTable: "pool_codes",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audience_members_audience_id_id",
                table: "audience_members",
                columns: new[] { "audience_id", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_campaign_codes_code_id",
                table: "campaign_codes",
                column: "code_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_campaigns_audience_id",
                table: "campaigns",
                column: "audience_id");

            migrationBuilder.CreateIndex(
                name: "ix_campaigns_code_pool_id",
                table: "campaigns",
                column: "code_pool_id");

            migrationBuilder.CreateIndex(
                name: "ix_pool_codes_free",
                table: "pool_codes",
                columns: new[] { "pool_id", "id" },
                filter: "assigned_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_pool_codes_pool_id_code",
                table: "pool_codes",
                columns: new[] { "pool_id", "code" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audience_members");

            migrationBuilder.DropTable(
                name: "campaign_codes");

            migrationBuilder.DropTable(
                name: "campaign_opt_outs");

            migrationBuilder.DropTable(
                name: "campaigns");

            migrationBuilder.DropTable(
                name: "pool_codes");

            migrationBuilder.DropTable(
                name: "audiences");

            migrationBuilder.DropTable(
                name: "code_pools");
        }
    }
}
