using System.ComponentModel.DataAnnotations;
using CommsHub.Core.Channels.Resilience;

namespace CommsHub.Core.Channels.Webhook;

public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>
    /// Lets webhooks reach loopback, private and other non-public addresses over plain http:
    /// for tests and closed networks only. Cloud metadata services stay refused even then.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }

    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Webhooks:Timeout must be between 00:00:01 and 00:10:00 (e.g. \"00:00:15\").")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>When one target origin counts as down and its posts are deferred instead of attempted; each origin has its own circuit.</summary>
    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        CircuitBreaker.Validate("Webhooks:CircuitBreaker", nameof(CircuitBreaker));
}
