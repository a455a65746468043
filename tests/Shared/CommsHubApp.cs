using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CommsHub.Testing;

/// <summary>
/// The real Api host, configured through the same keys an operator uses. Settings go in through
/// UseSetting so Program sees them while it builds the service collection.
/// </summary>
public sealed class CommsHubApp(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("PublicBaseUrl", "https://status.test");
        builder.UseSetting("StatusPage:Name", "Acme Status");
        if (!settings.ContainsKey("Auth:AdminApiKeys:0"))
        {
            builder.UseSetting("Auth:AdminApiKeys:0", AdminKey);
        }
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient Admin(string key = AdminKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
