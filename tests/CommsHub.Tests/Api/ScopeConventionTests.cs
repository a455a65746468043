using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Api;

/// <summary>How route groups name scopes: by method, overridden per endpoint, and admin for anything that names none.</summary>
public sealed class ScopeConventionTests
{
    [Fact]
    public async Task Reads_and_changes_get_their_scopes_an_endpoint_may_choose_its_own_and_the_rest_is_for_admins()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddRouting();
        await using var app = builder.Build();
        var admin = app.MapGroup("").RequireScopes(reads: Scopes.Admin, changes: Scopes.Admin);
        var things = admin.MapGroup("/api/things").RequireScopes(reads: Scopes.Read, changes: Scopes.Publish);
        things.MapGet("/", () => "list");
        things.MapPost("/", () => "make");
        things.MapGet("/secret", () => "people").RequireScope(Scopes.Subscribers);
        admin.MapGroup("/api/forgotten").MapGet("/", () => "unscoped");

        var scopes = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>().ToDictionary(
            e => $"{e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods[0]} {e.RoutePattern.RawText}",
            e => string.Join(",", e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy)));

        Assert.Equal("scope:read", scopes["GET /api/things/"]);
        Assert.Equal("scope:publish", scopes["POST /api/things/"]);
        Assert.Equal("scope:subscribers", scopes["GET /api/things/secret"]);
        Assert.Equal("scope:admin", scopes["GET /api/forgotten/"]);
    }
}
