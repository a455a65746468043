using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CommsHub.Api.Endpoints;

/// <summary>A stored key as listed: never the key itself, which only <see cref="CreatedKeyResponse"/> carries, once.</summary>
public sealed record KeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string? CreatedBy,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt, bool Generated)
{
    public static KeyResponse From(ApiKey k) => new(k.Id, k.Name, k.Scopes, k.CreatedAt, k.CreatedBy, k.ExpiresAt, k.RevokedAt, k.LastUsedAt, k.Generated);
}

public sealed record CreatedKeyResponse(Guid Id, string Name, IReadOnlyList<string> Scopes, string Key, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>API keys with scopes: made, listed and revoked by admins.</summary>
public static class KeyEndpoints
{
    public static RouteGroupBuilder MapKeyEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/keys").WithTags("Keys").RequireScope(Scopes.Admin);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapDelete("/{id:guid}", Revoke);
        return group;
    }

    private static async Task<Created<CreatedKeyResponse>> Create(CreateKeyRequest request, ApiKeys keys, HttpContext http, CancellationToken ct)
    {
        var (stored, key) = await keys.CreateAsync(request, AdminAudit.Actor(http), ct);
        // The only time the key leaves the server: nothing between here and the client may keep it.
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/api/keys/{stored.Id}",
            new CreatedKeyResponse(stored.Id, stored.Name, stored.Scopes, key, stored.CreatedAt, stored.ExpiresAt));
    }

    /// <summary>Oldest first, revoked and expired ones included. Keys from configuration are not listed: they live in configuration.</summary>
    private static async Task<Ok<List<KeyResponse>>> List(ApiKeys keys, CancellationToken ct) =>
        TypedResults.Ok((await keys.ListAsync(ct)).Select(KeyResponse.From).ToList());

    /// <summary>Refused at once by this process and within 5 seconds by every other.</summary>
    private static async Task<Results<NoContent, NotFound>> Revoke(Guid id, ApiKeys keys, HttpContext http, CancellationToken ct) =>
        await keys.RevokeAsync(id, AdminAudit.Actor(http), ct) ? TypedResults.NoContent() : TypedResults.NotFound();
}
