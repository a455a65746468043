using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CommsHub.Core.Data.Migrations.Sqlite
{
    /// <summary>
    /// An attempt row is one provider request (an email batch's thousand recipients in one row), found through its batch:
    /// each per-delivery row becomes a row of its delivery's batch listing that one delivery.
    /// </summary>
    public partial class AttemptPerRequest : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_delivery_attempts_delivery_id_number",
                table: "delivery_attempts");

            migrationBuilder.RenameColumn(
                name: "delivery_id",
                table: "delivery_attempts",
                newName: "update_id");

            migrationBuilder.AddColumn<int>(
                name: "batch",
                table: "delivery_attempts",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "channel",
                table: "delivery_attempts",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "delivery_ids",
                table: "delivery_attempts",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            // Attempts whose delivery is gone were unreachable; the rest move to their delivery's batch (update_id holds
            // the delivery's id until this statement, which reads every column as it was).
            migrationBuilder.Sql("""
                DELETE FROM delivery_attempts WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = delivery_attempts.update_id);
                UPDATE delivery_attempts SET
                    delivery_ids = json_array(update_id),
                    channel = (SELECT d.channel FROM deliveries d WHERE d.id = delivery_attempts.update_id),
                    batch = (SELECT d.batch FROM deliveries d WHERE d.id = delivery_attempts.update_id),
                    update_id = (SELECT d.update_id FROM deliveries d WHERE d.id = delivery_attempts.update_id);
                """);

            migrationBuilder.CreateIndex(
                name: "ix_delivery_attempts_update_id_channel_batch",
                table: "delivery_attempts",
                columns: new[] { "update_id", "channel", "batch" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // One row per delivery again (update_id holds the delivery's id once renamed back, below).
            migrationBuilder.Sql("""
                INSERT INTO delivery_attempts (update_id, channel, batch, delivery_ids, number, at, provider, outcome, http_status, error_code, error, provider_message_id, latency_ms)
                SELECT j.value, a.channel, a.batch, '[]', a.number, a.at, a.provider, a.outcome, a.http_status, a.error_code, a.error, a.provider_message_id, a.latency_ms
                FROM delivery_attempts a, json_each(a.delivery_ids) j;
                DELETE FROM delivery_attempts WHERE delivery_ids <> '[]';
                """);

            migrationBuilder.DropIndex(
                name: "ix_delivery_attempts_update_id_channel_batch",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "batch",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "channel",
                table: "delivery_attempts");

            migrationBuilder.DropColumn(
                name: "delivery_ids",
                table: "delivery_attempts");

            migrationBuilder.RenameColumn(
                name: "update_id",
                table: "delivery_attempts",
                newName: "delivery_id");

            migrationBuilder.CreateIndex(
                name: "ix_delivery_attempts_delivery_id_number",
                table: "delivery_attempts",
                columns: new[] { "delivery_id", "number" });
        }
    }
}
