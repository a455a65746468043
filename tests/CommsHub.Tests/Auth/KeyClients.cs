using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CommsHub.Testing;

namespace CommsHub.Tests.Auth;

/// <summary>Makes keys through the API, as an admin would.</summary>
internal static class KeyClients
{
    public static async Task<JsonNode> CreateKeyAsync(this HttpClient admin, string name, string[] scopes, DateTimeOffset? expiresAt = null) =>
        await admin.PostAsync("/api/keys", new { name, scopes, expiresAt });

    public static HttpClient WithKey(this CommsHubApp app, JsonNode created) => app.Admin(created["key"]!.GetValue<string>());

    public static async Task<int> StatusAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (int)response.StatusCode;
    }

    public static async Task<(int Status, JsonNode? Body)> PostStatusAsync(this HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }
}
