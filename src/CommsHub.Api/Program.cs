using System.Text.Json;
using System.Text.Json.Serialization;
using CommsHub.Api.Endpoints;
using CommsHub.Api.Infrastructure;
using CommsHub.Api.Infrastructure.Json;
using CommsHub.Api.Observability;
using CommsHub.Api.OperatorConsole;
using CommsHub.Api.Website;
using CommsHub.Core.Auth;
using CommsHub.Core.Data;
using CommsHub.Core.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;

// appsettings.json sits beside the executable: read it from there whatever the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
var roles = CommsHubRoles.From(builder.Configuration);

builder.Services.AddCommsHub(builder.Configuration, roles, bus =>
{
    if (roles.Api)
    {
        // Each API process refreshes its own copy of the status page: a temporary queue per process.
        bus.AddConsumer<StatusPageRefresher>().Endpoint(e =>
        {
            e.InstanceId = Guid.NewGuid().ToString("N")[..12];
            e.Temporary = true;
        });
    }
});
if (roles.Api)
{
    builder.Services.AddSingleton<StatusSnapshot>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<StatusSnapshot>());
}
builder.Services.AddProblemDetails();
builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    StrictJson.Apply(o.SerializerOptions);
});
var authentication = builder.Services.AddAuthentication(AuthSchemes.ApiKey)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, null)
    .AddOperatorSessions();
authentication.AddOperatorOidc(builder.Configuration);
builder.Services.AddSchedulingDashboard(authentication);
builder.Services.AddCommsHubRateLimiting();
builder.Services.AddHttpHardening();
builder.Services.AddScopePolicies();
builder.Services.AddOperatorConsole();
builder.AddCommsHubObservability();

var app = builder.Build();

if (args.Contains("migrate", StringComparer.OrdinalIgnoreCase))
{
    await DatabaseSetup.MigrateAsync(app.Services);
    Console.WriteLine("Database is up to date.");
    return;
}

await CommsHubStartup.InitializeAsync(app.Services);
var generatedKey = roles.Api ? await app.Services.GetRequiredService<ApiKeyStore>().LoadOrGenerateAsync(app.Services) : null;

app.UseHttpHardening();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthFailureThrottle();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new HealthCheckOptions
{
    Predicate = c => c.Tags.Contains(CommsHubServices.ReadyTag),
    ResponseWriter = HealthResponse.WriteAsync,
});

if (roles.Api)
{
    // Each group names the scope its endpoints need (ScopePolicies); one that names none is for admins only,
    // and AdminRoutesTests fails until it is given its scope deliberately.
    var admin = app.MapGroup("").AddEndpointFilter<AdminAudit>().RequireScopes(reads: Scopes.Admin, changes: Scopes.Admin);
    admin.MapComponentEndpoints();
    admin.MapIncidentEndpoints();
    admin.MapTemplateEndpoints();
    admin.MapMaintenanceEndpoints();
    admin.MapSubscriberEndpoints();
    admin.MapDeliveryEndpoints();
    admin.MapAuditEndpoints();
    admin.MapAlertEndpoints();
    admin.MapKeyEndpoints();
    admin.MapOperatorEndpoints();
    admin.MapCampaignEndpoints();
    app.MapCampaignUnsubscribe();
    app.MapSubscriptionEndpoints();
    app.MapProviderWebhookEndpoints();
    app.MapStatusPageEndpoints();
    app.MapSchedulingDashboard();
    app.MapOperatorOidc();
    app.MapOperatorConsole();
}

app.MapCommsHubObservability(roles);

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app, roles, generatedKey));

await app.RunAsync();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
