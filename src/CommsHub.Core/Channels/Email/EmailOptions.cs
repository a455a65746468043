using System.ComponentModel.DataAnnotations;
using CommsHub.Core.Channels.Resilience;

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
        if (SendGrid.Timeout <= TimeSpan.Zero)
        {
            yield return new ValidationResult(
                $"Channels:Email:SendGrid:Timeout '{SendGrid.Timeout}' must be positive, e.g. 00:00:30.", ["SendGrid.Timeout"]);
        }
        foreach (var error in SendGrid.CircuitBreaker.Validate("Channels:Email:SendGrid:CircuitBreaker", "SendGrid.CircuitBreaker"))
        {
            yield return error;
        }
    }
}

public sealed class SendGridOptions
{
    public string ApiKey { get; set; } = "";
    public string BaseUrl { get; set; } = "https://api.sendgrid.com";
    public string EventWebhookPublicKey { get; set; } = "";

    /// <summary>How long one API request may take before it is treated as a transient failure.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Ask SendGrid's Email Activity API (<c>GET /v3/messages</c>, an add-on of the SendGrid plan; the key needs
    /// its read scope) whether a batch left in doubt by a crash was accepted, before sending it again. Off: such a batch is sent again.
    /// </summary>
    public bool ActivityApi { get; set; }

    /// <summary>When SendGrid counts as down and sends are deferred instead of attempted.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}
