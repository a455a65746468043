using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class PluralJoinTables : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_component_change_components_component_id",
                table: "component_change");

            migrationBuilder.DropForeignKey(
                name: "fk_component_change_incident_updates_update_id",
                table: "component_change");

            migrationBuilder.DropForeignKey(
                name: "fk_incident_component_components_component_id",
                table: "incident_component");

            migrationBuilder.DropForeignKey(
                name: "fk_incident_component_incidents_incident_id",
                table: "incident_component");

            migrationBuilder.DropForeignKey(
                name: "fk_subscriber_component_components_component_id",
                table: "subscriber_component");

            migrationBuilder.DropForeignKey(
                name: "fk_subscriber_component_subscribers_subscriber_id",
                table: "subscriber_component");

            migrationBuilder.DropPrimaryKey(
                name: "pk_subscriber_component",
                table: "subscriber_component");

            migrationBuilder.DropPrimaryKey(
                name: "pk_incident_component",
                table: "incident_component");

            migrationBuilder.DropPrimaryKey(
                name: "pk_component_change",
                table: "component_change");

            migrationBuilder.RenameTable(
                name: "subscriber_component",
                newName: "subscriber_components");

            migrationBuilder.RenameTable(
                name: "incident_component",
                newName: "incident_components");

            migrationBuilder.RenameTable(
                name: "component_change",
                newName: "component_changes");

            migrationBuilder.RenameIndex(
                name: "ix_subscriber_component_component_id",
                table: "subscriber_components",
                newName: "ix_subscriber_components_component_id");

            migrationBuilder.RenameIndex(
                name: "ix_incident_component_component_id",
                table: "incident_components",
                newName: "ix_incident_components_component_id");

            migrationBuilder.RenameIndex(
                name: "ix_component_change_component_id",
                table: "component_changes",
                newName: "ix_component_changes_component_id");

            migrationBuilder.AddPrimaryKey(
                name: "pk_subscriber_components",
                table: "subscriber_components",
                columns: new[] { "subscriber_id", "component_id" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_incident_components",
                table: "incident_components",
                columns: new[] { "incident_id", "component_id" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_component_changes",
                table: "component_changes",
                columns: new[] { "update_id", "component_id" });

            migrationBuilder.AddForeignKey(
                name: "fk_component_changes_components_component_id",
                table: "component_changes",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_component_changes_incident_updates_update_id",
                table: "component_changes",
                column: "update_id",
                principalTable: "incident_updates",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_incident_components_components_component_id",
                table: "incident_components",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_incident_components_incidents_incident_id",
                table: "incident_components",
                column: "incident_id",
                principalTable: "incidents",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_subscriber_components_components_component_id",
                table: "subscriber_components",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_subscriber_components_subscribers_subscriber_id",
                table: "subscriber_components",
                column: "subscriber_id",
                principalTable: "subscribers",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_component_changes_components_component_id",
                table: "component_changes");

            migrationBuilder.DropForeignKey(
                name: "fk_component_changes_incident_updates_update_id",
                table: "component_changes");

            migrationBuilder.DropForeignKey(
                name: "fk_incident_components_components_component_id",
                table: "incident_components");

            migrationBuilder.DropForeignKey(
                name: "fk_incident_components_incidents_incident_id",
                table: "incident_components");

            migrationBuilder.DropForeignKey(
                name: "fk_subscriber_components_components_component_id",
                table: "subscriber_components");

            migrationBuilder.DropForeignKey(
                name: "fk_subscriber_components_subscribers_subscriber_id",
                table: "subscriber_components");

            migrationBuilder.DropPrimaryKey(
                name: "pk_subscriber_components",
                table: "subscriber_components");

            migrationBuilder.DropPrimaryKey(
                name: "pk_incident_components",
                table: "incident_components");

            migrationBuilder.DropPrimaryKey(
                name: "pk_component_changes",
                table: "component_changes");

            migrationBuilder.RenameTable(
                name: "subscriber_components",
                newName: "subscriber_component");

            migrationBuilder.RenameTable(
                name: "incident_components",
                newName: "incident_component");

            migrationBuilder.RenameTable(
                name: "component_changes",
                newName: "component_change");

            migrationBuilder.RenameIndex(
                name: "ix_subscriber_components_component_id",
                table: "subscriber_component",
                newName: "ix_subscriber_component_component_id");

            migrationBuilder.RenameIndex(
                name: "ix_incident_components_component_id",
                table: "incident_component",
                newName: "ix_incident_component_component_id");

            migrationBuilder.RenameIndex(
                name: "ix_component_changes_component_id",
                table: "component_change",
                newName: "ix_component_change_component_id");

            migrationBuilder.AddPrimaryKey(
                name: "pk_subscriber_component",
                table: "subscriber_component",
                columns: new[] { "subscriber_id", "component_id" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_incident_component",
                table: "incident_component",
                columns: new[] { "incident_id", "component_id" });

            migrationBuilder.AddPrimaryKey(
                name: "pk_component_change",
                table: "component_change",
                columns: new[] { "update_id", "component_id" });

            migrationBuilder.AddForeignKey(
                name: "fk_component_change_components_component_id",
                table: "component_change",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_component_change_incident_updates_update_id",
                table: "component_change",
                column: "update_id",
                principalTable: "incident_updates",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_incident_component_components_component_id",
                table: "incident_component",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_incident_component_incidents_incident_id",
                table: "incident_component",
                column: "incident_id",
                principalTable: "incidents",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_subscriber_component_components_component_id",
                table: "subscriber_component",
                column: "component_id",
                principalTable: "components",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_subscriber_component_subscribers_subscriber_id",
                table: "subscriber_component",
                column: "subscriber_id",
                principalTable: "subscribers",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }
    }
}
