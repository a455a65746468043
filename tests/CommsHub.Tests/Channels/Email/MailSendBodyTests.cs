using System.Text.Json.Nodes;
using CommsHub.Core.Channels.Email;
using SendGrid.Helpers.Mail;

namespace CommsHub.Tests.Channels.Email;

/// <summary>The mail/send body written without the SDK's serialiser must be the one the SDK would send.</summary>
public sealed class MailSendBodyTests
{
    private static readonly EmailAddress From = new("status@acme.example", "Acme Status");

    private static readonly EmailRecipient[] Recipients =
    [
        new("ada@example.com", new Dictionary<string, string> { ["delivery_id"] = "d1" },
            new Dictionary<string, string> { ["List-Unsubscribe"] = "<https://acme.example/campaigns/unsubscribe?token=a%2Bb&x=1>", ["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click" },
            new Dictionary<string, string>
            {
                ["%personal_subject%"] = "Sorry, Zoë \"Z\" O'Neil",
                ["%personal_text%"] = "Hello Zoë,\n\ncode <FW-1> & more \u0001 ✓",
                ["%personal_html%"] = "<p>Hello Zoë,</p><p>code &lt;FW-1&gt; &amp; more</p>",
            }),
        new("bob@example.com", new Dictionary<string, string> { ["delivery_id"] = "d2" }),
        new("carol@example.com"),
    ];

    [Theory]
    [InlineData(null)]
    [InlineData("batch-key-1")]
    public void Equals_the_sdk_serialisation(string? batchKey)
    {
        var email = new RenderedEmail("Outage — resolved", "Text <body> & \"quotes\"", "<p>Html</p>") { BatchKey = batchKey };
        var sdk = new SendGridMessage
        {
            From = From,
            Subject = email.Subject,
            CustomArgs = batchKey is null ? null : new Dictionary<string, string> { [SendGridEmailSender.BatchKeyArg] = batchKey },
            PlainTextContent = email.Text,
            HtmlContent = email.Html,
            Personalizations = [.. Recipients.Select(r => new Personalization
            {
                Tos = [new EmailAddress(r.Address)],
                CustomArgs = r.CustomArgs?.ToDictionary(),
                Headers = r.Headers?.ToDictionary(),
                Substitutions = r.Substitutions?.ToDictionary(),
            })],
        };

        var ours = JsonNode.Parse(SendGridEmailSender.MailSendBody(From, email, Recipients));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(sdk.Serialize()), ours), ours!.ToJsonString());
    }
}
