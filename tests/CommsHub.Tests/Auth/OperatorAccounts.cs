using System.Net;
using System.Text.Json.Nodes;
using CommsHub.Testing;

namespace CommsHub.Tests.Auth;

/// <summary>Operators made the way an admin makes them: through the API, with the sandboxed invitation link.</summary>
public static class OperatorAccounts
{
    public const string Password = "correct horse battery staple";

    public static async Task<(string Id, string InvitationPath)> InviteAsync(this HttpClient admin, string email, string role = "responder", string name = "Ana Ops")
    {
        var created = await admin.PostAsync("/api/operators", new { email, name, role });
        return (created["id"]!.GetValue<string>(), new Uri(created["invitationUrl"]!.GetValue<string>()).PathAndQuery);
    }

    /// <summary>Invites, sets the password through the invitation page, and signs in.</summary>
    public static async Task<(string Id, ConsoleClient Browser)> SignedInOperatorAsync(this CommsHubApp app, HttpClient admin, string email,
        string role = "responder")
    {
        var (id, invitation) = await admin.InviteAsync(email, role);
        var browser = new ConsoleClient(app);
        await browser.SetPasswordAsync(invitation, Password);
        Assert.Equal("/console", await browser.SignInAsync(email, Password));
        return (id, browser);
    }

    public static async Task SetPasswordAsync(this ConsoleClient browser, string linkPath, string password)
    {
        var html = await browser.PageAsync(linkPath);
        Assert.Equal("/login?notice=password-set", await browser.SubmitRedirectsAsync(linkPath, "set-password", new Dictionary<string, string>
        {
            ["Input.Token"] = ConsoleClient.HiddenValue(html, "Input.Token")!,
            ["Input.Password"] = password,
            ["Input.Confirmation"] = password,
        }, html));
    }

    public static async Task<JsonNode> OperatorAsync(this HttpClient admin, string id, HttpStatusCode expected = HttpStatusCode.OK) =>
        await admin.GetJsonAsync($"/api/operators/{id}", expected);
}
