using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CommsHub.Testing;

/// <summary>Calls the admin API the way a client would, asserting the status code it expects.</summary>
public static class Api
{
    public static async Task<JsonNode> PostAsync(this HttpClient client, string path, object body, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public static async Task<string> CreateComponentAsync(this HttpClient client, string name) =>
        (await client.PostAsync("/api/components", new { name }))["id"]!.GetValue<string>();

    public static async Task<string> SubscribeAsync(this HttpClient client, string email, bool confirmed = true, params string[] components) =>
        (await client.PostAsync("/api/subscribers", new { email, confirmed, components }))["id"]!.GetValue<string>();

    /// <summary>Reads every delivery matching the query, following the cursor.</summary>
    public static async Task<List<JsonNode>> AllDeliveriesAsync(this HttpClient client, string query)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await client.GetJsonAsync($"/api/deliveries?{query}&limit=1000" + (cursor is null ? "" : $"&cursor={cursor}"));
            items.AddRange(page["items"]!.AsArray().Select(i => i!));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }
}
