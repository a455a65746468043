using System.Net;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace CommsHub.Tests.Observability;

/// <summary>/openapi/v1.json describes every mapped route; /docs/api reads it with nothing from another host; /docs/webhooks explains the signature.</summary>
public sealed class ApiReferenceTests : SqliteAppTest
{
    /// <summary>Routes deliberately not in the document, and why.</summary>
    private static readonly (string Prefix, string Reason)[] Excluded =
    [
        ("/console", "the operator console: HTML pages for people, not an API"),
        ("/login", "the console's sign-in pages and the OpenID Connect start"),
        ("/logout", "the console's sign-out"),
        ("/account", "the console's account pages (two-factor enrolment)"),
        ("/_framework", "the console framework's own redirect endpoint"),
        ("/setup", "the console's first-run page"),
        ("/invitation", "the console's page an invited operator sets a password on"),
        ("/forgot-password", "the console's password reset request page"),
        ("/reset-password", "the console's password reset page"),
        ("/console.css", "the console's stylesheet"),
        ("/assets", "the console's scripts"),
        ("/hangfire", "Hangfire's dashboard, for operators"),
        ("/health", "liveness and readiness for orchestrators (documented in docs/operations.md)"),
        ("/metrics", "the Prometheus scrape (documented in docs/operations.md)"),
        ("/openapi", "the document itself"),
        ("/docs/api", "the interactive reader of the document"),
    ];

    private async Task<(OpenApiDocument Document, string Json)> DocumentAsync()
    {
        using var anonymous = App.CreateClient();
        var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadAsStringAsync();
        var read = OpenApiDocument.Parse(json, "json");
        Assert.True(read.Diagnostic is null || read.Diagnostic.Errors.Count == 0,
            "The document does not validate: " + string.Join("; ", read.Diagnostic?.Errors.Select(e => $"{e.Pointer}: {e.Message}") ?? []));
        return (read.Document!, json);
    }

    [Fact]
    public async Task The_document_is_valid_and_names_every_mapped_route_except_the_deliberate_exclusions()
    {
        var (document, _) = await DocumentAsync();
        var documented = document.Paths.Keys.Select(Normalise).ToHashSet(StringComparer.Ordinal);

        var routes = App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => Path(e.RoutePattern))
            .Where(p => !Excluded.Any(x => p == x.Prefix || p.StartsWith(x.Prefix + "/", StringComparison.Ordinal)))
            .Distinct().Order().ToList();
        Assert.NotEmpty(routes);
        var missing = routes.Where(r => !documented.Contains(r)).ToList();
        Assert.True(missing.Count == 0, "Routes missing from /openapi/v1.json: " + string.Join(", ", missing));
        Assert.Contains("/api/incidents", documented);
        Assert.Contains("/api/public/subscriptions", documented);
        Assert.Contains("/api/v2/summary.json", documented);
    }

    [Fact]
    public async Task Admin_operations_name_their_scope_under_the_bearer_scheme_and_their_problem_answers()
    {
        var (document, _) = await DocumentAsync();
        var scheme = Assert.IsType<OpenApiSecurityScheme>(document.Components!.SecuritySchemes!["bearer"]);
        Assert.Equal(SecuritySchemeType.Http, scheme.Type);
        Assert.Equal("bearer", scheme.Scheme);

        var create = document.Paths.First(p => Normalise(p.Key) == "/api/incidents").Value.Operations![HttpMethod.Post];
        var requirement = Assert.Single(create.Security!);
        Assert.Equal(["publish"], requirement.Single().Value);
        Assert.NotNull(create.RequestBody);
        Assert.Contains("201", create.Responses!.Keys);
        foreach (var status in new[] { "400", "401", "403" })
        {
            Assert.Contains("application/problem+json", create.Responses[status].Content!.Keys);
        }

        var keys = document.Paths.First(p => Normalise(p.Key) == "/api/keys").Value.Operations![HttpMethod.Post];
        Assert.Equal(["admin"], Assert.Single(keys.Security!).Single().Value);
        // A public endpoint needs no key.
        var subscribe = document.Paths.First(p => Normalise(p.Key) == "/api/public/subscriptions").Value.Operations![HttpMethod.Post];
        Assert.True(subscribe.Security is null || subscribe.Security.Count == 0);
    }

    [Fact]
    public async Task The_interactive_reference_loads_only_from_this_host()
    {
        using var anonymous = App.CreateClient();
        var page = await anonymous.GetAsync("/docs/api");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("cdn.", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html.Replace("https://status.test", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self' 'unsafe-inline'", csp); // the reader's inline start-up script, on this path only
        Assert.DoesNotContain("https:", csp.Replace("img-src 'self' data: https:", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The script the page loads is served here.
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script[^>]+src=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(script);
        var asset = await anonymous.GetAsync(new Uri(new Uri("http://localhost/docs/api/"), script));
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
    }

    [Fact]
    public async Task The_webhook_guide_shows_the_payload_and_verification_in_three_languages()
    {
        using var anonymous = App.CreateClient();
        var page = await anonymous.GetAsync("/docs/webhooks");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        foreach (var text in new[] { "webhook-signature", "webhook-timestamp", "webhook-id", "whsec_", "HMACSHA256", "createHmac", "hmac.new", "meta", "component_update" })
        {
            Assert.Contains(text, html, StringComparison.Ordinal);
        }
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
    }

    private static string Path(RoutePattern pattern) =>
        Normalise("/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        })))));

    private static string Normalise(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
