using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>
/// Walks every mapped route under <c>/api/</c> (the public <c>/api/public</c> and <c>/api/v2</c> aside) and checks
/// the one scope it needs against this table, so an endpoint cannot ship unprotected or with a scope nobody chose.
/// A new endpoint fails here until it names its scope and gets a row.
/// </summary>
public sealed class AdminRoutesTests : SqliteAppTest
{
    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["POST /api/components/"] = Scopes.Publish,
        ["GET /api/components/"] = Scopes.Read,
        ["GET /api/components/{id:guid}"] = Scopes.Read,
        ["PATCH /api/components/{id:guid}"] = Scopes.Publish,
        ["DELETE /api/components/{id:guid}"] = Scopes.Publish,

        ["POST /api/incidents/"] = Scopes.Publish,
        ["GET /api/incidents/"] = Scopes.Read,
        ["GET /api/incidents/{id:guid}"] = Scopes.Read,
        ["PATCH /api/incidents/{id:guid}"] = Scopes.Publish,
        ["DELETE /api/incidents/{id:guid}"] = Scopes.Publish,
        ["POST /api/incidents/{id:guid}/publish"] = Scopes.Publish,
        ["POST /api/incidents/{id:guid}/updates"] = Scopes.Publish,
        ["PUT /api/incidents/{id:guid}/postmortem"] = Scopes.Publish,
        ["PATCH /api/incidents/{id:guid}/updates/{updateId:guid}"] = Scopes.Publish,
        ["GET /api/incidents/{id:guid}/scheduled-updates"] = Scopes.Read,
        ["GET /api/incidents/{id:guid}/scheduled-updates/{updateId:guid}"] = Scopes.Read,
        ["PATCH /api/incidents/{id:guid}/scheduled-updates/{updateId:guid}"] = Scopes.Publish,
        ["DELETE /api/incidents/{id:guid}/scheduled-updates/{updateId:guid}"] = Scopes.Publish,
        ["POST /api/incidents/preview"] = Scopes.Publish,
        ["POST /api/incidents/{id:guid}/updates/preview"] = Scopes.Publish,

        ["POST /api/templates/"] = Scopes.Publish,
        ["GET /api/templates/"] = Scopes.Read,
        ["GET /api/templates/{id:guid}"] = Scopes.Read,
        ["DELETE /api/templates/{id:guid}"] = Scopes.Publish,

        ["POST /api/maintenances/"] = Scopes.Publish,
        ["GET /api/maintenances/"] = Scopes.Read,
        ["GET /api/maintenances/{id:guid}"] = Scopes.Read,
        ["PATCH /api/maintenances/{id:guid}"] = Scopes.Publish,
        ["POST /api/maintenances/{id:guid}/updates"] = Scopes.Publish,
        ["POST /api/maintenances/{id:guid}/cancel"] = Scopes.Publish,

        // Customer lists, codes and the campaigns that use them.
        ["POST /api/audiences/"] = Scopes.Campaigns,
        ["POST /api/code-pools/"] = Scopes.Campaigns,
        ["POST /api/campaigns/"] = Scopes.Campaigns,
        ["GET /api/campaigns/{id:guid}"] = Scopes.Campaigns,
        ["POST /api/campaigns/{id:guid}/preview"] = Scopes.Campaigns,
        ["POST /api/campaigns/{id:guid}/send"] = Scopes.Campaigns,
        ["POST /api/campaigns/{id:guid}/cancel"] = Scopes.Campaigns,
        ["GET /api/campaigns/{id:guid}/report"] = Scopes.Campaigns,
        ["POST /api/campaigns/{id:guid}/redemptions"] = Scopes.Campaigns,

        // Subscriber data, read or written.
        ["POST /api/subscribers/"] = Scopes.Subscribers,
        ["GET /api/subscribers/"] = Scopes.Subscribers,
        ["GET /api/subscribers/{id:guid}"] = Scopes.Subscribers,
        ["DELETE /api/subscribers/{id:guid}"] = Scopes.Subscribers,
        ["POST /api/subscribers/{id:guid}/rotate-secret"] = Scopes.Subscribers,
        ["POST /api/subscribers/import"] = Scopes.Subscribers,
        // Deliveries carry their recipients; a report only counts them.
        ["GET /api/deliveries/"] = Scopes.Subscribers,
        ["GET /api/deliveries/export.csv"] = Scopes.Subscribers,
        ["GET /api/deliveries/{id:guid}"] = Scopes.Subscribers,
        ["GET /api/updates/{id:guid}/report"] = Scopes.Read,

        ["GET /api/alerts/"] = Scopes.Read,

        ["GET /api/audit/verify"] = Scopes.Admin,
        ["GET /api/audit/"] = Scopes.Admin,
        ["POST /api/keys/"] = Scopes.Admin,
        ["GET /api/keys/"] = Scopes.Admin,
        ["DELETE /api/keys/{id:guid}"] = Scopes.Admin,
        ["POST /api/operators/"] = Scopes.Admin,
        ["GET /api/operators/"] = Scopes.Admin,
        ["GET /api/operators/{id:guid}"] = Scopes.Admin,
        ["PATCH /api/operators/{id:guid}"] = Scopes.Admin,
        ["DELETE /api/operators/{id:guid}"] = Scopes.Admin,
        ["POST /api/operators/{id:guid}/invitation"] = Scopes.Admin,
        ["DELETE /api/operators/{id:guid}/two-factor"] = Scopes.Admin,
    };

    [Fact]
    public void Every_admin_route_needs_exactly_the_scope_in_the_table()
    {
        _ = App.Server;
        var routes = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.OrdinalIgnoreCase)
                        && !raw.StartsWith("/api/public/", StringComparison.OrdinalIgnoreCase)
                        && !raw.StartsWith("/api/v2/", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(routes);

        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var methods = route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"];
            var policies = route.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            var scopes = policies.Where(p => p?.StartsWith(ScopePolicies.Prefix, StringComparison.Ordinal) == true).ToList();
            foreach (var method in methods)
            {
                var name = $"{method} {route.RoutePattern.RawText}";
                seen.Add(name);
                if (route.Metadata.GetMetadata<IAllowAnonymous>() is not null)
                {
                    problems.Add($"{name} allows anonymous callers");
                }
                if (scopes.Count != 1 || policies.Count != 1)
                {
                    problems.Add($"{name} has policies [{string.Join(", ", policies)}]; it needs exactly one scope policy");
                }
                else if (!Expected.TryGetValue(name, out var expected))
                {
                    problems.Add($"{name} needs {scopes[0]}: add it to the table with the scope it should need");
                }
                else if (scopes[0] != ScopePolicies.Name(expected))
                {
                    problems.Add($"{name} needs {scopes[0]}, the table says {ScopePolicies.Name(expected)}");
                }
            }
        }
        problems.AddRange(Expected.Keys.Where(k => !seen.Contains(k)).Select(k => $"{k} is in the table but not mapped"));
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Each_scope_policy_takes_an_api_key_or_an_operator_session_and_needs_its_scope()
    {
        var provider = App.Services.GetRequiredService<IAuthorizationPolicyProvider>();
        foreach (var scope in Scopes.All)
        {
            var policy = await provider.GetPolicyAsync(ScopePolicies.Name(scope));
            Assert.NotNull(policy);
            Assert.Equal(AuthSchemes.Admin, policy.AuthenticationSchemes);
            Assert.Equal(scope, Assert.Single(policy.Requirements.OfType<ScopeRequirement>()).Scope);
        }
    }
}
