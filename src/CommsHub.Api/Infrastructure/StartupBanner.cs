using CommsHub.Core.Channels.Email;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>Tells the person who just started CommsHub where to go and what key to use.</summary>
internal static class StartupBanner
{
    public static void Print(WebApplication app, CommsHubRoles roles, string? generatedKey)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var database = app.Services.GetRequiredService<DatabaseInfo>();
        var email = app.Services.GetRequiredService<IOptions<EmailOptions>>().Value;
        var bus = string.IsNullOrWhiteSpace(app.Configuration.GetConnectionString("RabbitMq")) ? "in-memory" : "RabbitMQ";
        var lines = new List<string>
        {
            $"CommsHub is running (roles: {roles}; database: {database.Provider}; bus: {bus}; email: {(email.Sandboxed ? "sandboxed, no SendGrid key" : "SendGrid")}).",
            $"Listening on: {string.Join(", ", addresses)}",
        };
        if (generatedKey is not null)
        {
            lines.Add("");
            lines.Add("An admin API key was generated (only its hash is stored; this is the only time it is shown):");
            lines.Add($"    {generatedKey}");
            lines.Add("Use it as: Authorization: Bearer <key>. Set Auth:AdminApiKeys:0 (at least 32 characters) to choose your own; this one then stops working.");
        }
        var first = addresses.FirstOrDefault()?.Replace("://[::]", "://localhost", StringComparison.Ordinal) ?? "http://localhost:5000";
        lines.Add("");
        lines.Add($"Console: {first}/console (the first time: {first}/setup, with the admin key, creates your admin account).");
        lines.Add($"Try: curl -H 'Authorization: Bearer <key>' {first}/api/incidents");
        Console.WriteLine(string.Join(Environment.NewLine, lines.Select(l => "  " + l).Prepend("").Append("")));
    }
}
