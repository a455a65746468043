using CommsHub.Testing;
using CommsHub.Tests.Api;

namespace CommsHub.Tests.Delivery;

/// <summary>With no provider configured, a delivery keeps the text it would have sent.</summary>
public sealed class SandboxRenderedTests : SqliteAppTest
{
    [Fact]
    public async Task Sandboxed_email_and_sms_deliveries_show_what_they_would_have_sent()
    {
        await Admin.SubscribeAsync("ann@example.com");
        await Admin.PostAsync("/api/subscribers", new { phone = "+12025550101", confirmed = true });
        var incident = await Admin.PostAsync("/api/incidents", new { title = "Checkout failing", message = "Payments are declined; we are on it.", impact = "major" });
        var updateId = incident["updates"]![0]!["id"]!.GetValue<string>();

        List<System.Text.Json.Nodes.JsonNode> deliveries = [];
        await Eventually.HoldsAsync(async () =>
        {
            deliveries = await Admin.AllDeliveriesAsync($"updateId={updateId}");
            return deliveries.Count == 2 && deliveries.All(d => d["status"]!.GetValue<string>() == "sandboxed");
        }, "the email and the SMS are sandboxed");

        var email = await Admin.GetJsonAsync($"/api/deliveries/{deliveries.Single(d => d["channel"]!.GetValue<string>() == "email")["id"]}");
        var text = email["rendered"]!.GetValue<string>();
        Assert.StartsWith("Subject: ", text);
        Assert.Contains("Checkout failing", text.Split('\n')[0]);
        Assert.Contains("Payments are declined; we are on it.", text);

        var sms = await Admin.GetJsonAsync($"/api/deliveries/{deliveries.Single(d => d["channel"]!.GetValue<string>() == "sms")["id"]}");
        var body = sms["rendered"]!.GetValue<string>();
        Assert.Contains("Payments are declined; we are on it.", body);
        Assert.Matches(@"https://status\.test/incidents/[0-9a-f-]{36}$", body);
        Assert.Null(sms["lastError"]);
    }
}
