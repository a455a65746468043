using CommsHub.Api.Infrastructure;
using CommsHub.Core.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CommsHub.Api.Observability;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>): every admin and public endpoint as mapped, the bearer
/// scheme with the API key scopes, and on every admin operation the scope it needs and the problem
/// answers (400, 401, 403, 429) that any of them may give.
/// </summary>
internal static class OpenApiSetup
{
    public const string BearerScheme = "bearer";
    private const string Problem = "ProblemDetails";

    public static IServiceCollection AddCommsHubOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((document, context, ct) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "CommsHub",
                    Version = "v1",
                    Description = "Incident communication: the admin API (Authorization: Bearer <key>), the public subscription API, "
                                  + "the Atlassian Statuspage v2 API and the provider callbacks. Errors are RFC 9457 problem details.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API key (or an operator's session cookie). Scopes: " + string.Join(", ", Scopes.All)
                                  + "; admin implies all the others. A key without the scope an operation names gets 403.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer(async (operation, context, ct) =>
            {
                var scope = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>()
                    .Select(a => a.Policy).FirstOrDefault(p => p?.StartsWith(ScopePolicies.Prefix, StringComparison.Ordinal) == true)?[ScopePolicies.Prefix.Length..];
                operation.Responses ??= [];
                var problem = await ProblemSchemaAsync(context, ct);
                AddProblem(operation, "400", "Invalid input: a field's value, an unknown field, a control character.", problem);
                if (scope is null)
                {
                    return;
                }
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [scope] }];
                operation.Description = (operation.Description is { Length: > 0 } d ? d + "\n\n" : "") + $"Needs the `{scope}` scope.";
                AddProblem(operation, "401", "No valid key or session.", problem);
                AddProblem(operation, "403", "The key or operator lacks the scope this operation needs (the problem names it).", problem);
                AddProblem(operation, "429", "Too many failed authentications from this client; see Retry-After.", problem);
            });
        });

    private static async Task<IOpenApiSchema> ProblemSchemaAsync(OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document;
        if (document is null)
        {
            return await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, ct);
        }
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(Problem))
        {
            document.Components.Schemas[Problem] = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, ct);
        }
        return new OpenApiSchemaReference(Problem, document);
    }

    private static void AddProblem(OpenApiOperation operation, string status, string description, IOpenApiSchema schema)
    {
        if (operation.Responses!.ContainsKey(status))
        {
            return;
        }
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
        };
    }
}
