using System.ComponentModel.DataAnnotations;

namespace CommsHub.Core.Channels.Email;

public sealed class EmailOptions : IValidatableObject
{
    public const string Section = "Channels:Email";

    /// <summary>Sender, <c>addr</c> or <c>Name &lt;addr&gt;</c>.</summary>
    public string From { get; set; } = "";

    /// <summary>Recipients per SendGrid request (SendGrid's limit is 1,000 personalizations).</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 1000;

    public SendGridOptions SendGrid { get; set; } = new();

    public bool Sandboxed => string.IsNullOrWhiteSpace(SendGrid.ApiKey);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Sandboxed && string.IsNullOrWhiteSpace(From))
        {
            yield return new ValidationResult(
                "Channels:Email:From is required when Channels:Email:SendGrid:ApiKey is set (e.g. \"Acme Status <status@acme.example>\").",
                [nameof(From)]);
        }
        if (!string.IsNullOrWhiteSpace(From) && !EmailAddresses.TryParseSender(From, out _, out _))
        {
            yield return new ValidationResult($"Channels:Email:From '{From}' is not an address or 'Name <address>'.", [nameof(From)]);
        }
        if (!Uri.TryCreate(SendGrid.BaseUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult($"Channels:Email:SendGrid:BaseUrl '{SendGrid.BaseUrl}' is not an absolute URL.", ["SendGrid.BaseUrl"]);
        }
    }
}

public sealed class SendGridOptions
{
    public string ApiKey { get; set; } = "";
    public string BaseUrl { get; set; } = "https://api.sendgrid.com";
    public string EventWebhookPublicKey { get; set; } = "";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
