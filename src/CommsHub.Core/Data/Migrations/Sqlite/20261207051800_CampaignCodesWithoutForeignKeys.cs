using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CampaignCodesWithoutForeignKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_campaign_codes_campaigns_campaign_id",
                table: "campaign_codes");

            migrationBuilder.DropForeignKey(
                name: "fk_campaign_codes_pool_codes_code_id",
                table: "campaign_codes");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddForeignKey(
                name: "fk_campaign_codes_campaigns_campaign_id",
                table: "campaign_codes",
                column: "campaign_id",
                principalTable: "campaigns",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_campaign_codes_pool_codes_code_id",
                table: "campaign_codes",
                column: "code_id",
                principalTable: "pool_codes",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
