using CommsHub.Core.Data;
using CommsHub.Core.Hosting;

// The worker host: bus consumers (and the outbox dispatcher), no HTTP. Same configuration keys as the Api.
// appsettings.json sits beside the executable: read it from there whatever the working directory.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var roles = CommsHubRoles.From(builder.Configuration, fallback: new CommsHubRoles(Api: false, Worker: true));
if (roles.Api)
{
    throw new InvalidOperationException("The worker executable runs Roles=worker only; run CommsHub.Api for the HTTP roles.");
}
builder.Services.AddCommsHub(builder.Configuration, roles);

var host = builder.Build();
if (args.Contains("migrate", StringComparer.OrdinalIgnoreCase))
{
    await DatabaseSetup.MigrateAsync(host.Services);
    Console.WriteLine("Database is up to date.");
    return;
}
await CommsHubStartup.InitializeAsync(host.Services);
await host.RunAsync();
