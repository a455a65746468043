using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Incidents;

/// <summary>The embedded default with helpers for the incident calls beyond POST and GET, and for reading the public surface.</summary>
public abstract class IncidentApiTest : SqliteAppTest
{
    protected async Task<JsonNode> PatchAsync(string path, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await Admin.PatchAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"PATCH {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    protected async Task DeleteAsync(string path, HttpStatusCode expected = HttpStatusCode.NoContent)
    {
        using var response = await Admin.DeleteAsync(path);
        Assert.True(response.StatusCode == expected, $"DELETE {path} answered {(int)response.StatusCode}, expected {(int)expected}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A public resource as an anonymous visitor gets it.</summary>
    protected async Task<(HttpStatusCode Status, string Body)> PublicAsync(string path)
    {
        using var client = App.CreateClient();
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until the public resource (rebuilt after each change) satisfies the condition.</summary>
    protected async Task<string> PublicEventuallyAsync(string path, Func<string, bool> condition, string description)
    {
        var body = "";
        await Eventually.HoldsAsync(async () =>
        {
            var (status, text) = await PublicAsync(path);
            body = text;
            return status == HttpStatusCode.OK && condition(text);
        }, $"{path} {description}");
        return body;
    }

    protected async Task<List<JsonNode>> SettledDeliveriesAsync(string query, int expected)
    {
        List<JsonNode> deliveries = [];
        await Eventually.HoldsAsync(async () =>
        {
            deliveries = await Admin.AllDeliveriesAsync(query);
            return deliveries.Count == expected && deliveries.All(d => d["status"]!.GetValue<string>() != "queued");
        }, $"{expected} deliveries ({query}) are settled");
        return deliveries;
    }

    protected static string Id(JsonNode node) => node["id"]!.GetValue<string>();
}
