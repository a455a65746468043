using System.ComponentModel.DataAnnotations;

namespace CommsHub.Api.Infrastructure;

/// <summary>How many failed sign-ins a client may make before it is refused for a while.</summary>
public sealed class AuthThrottleOptions : IValidatableObject
{
    public const string Section = "Auth:Throttle";

    /// <summary>Failures allowed within <see cref="Window"/>; the next attempt is answered 429.</summary>
    [Range(1, 10_000)]
    public int MaxFailures { get; set; } = 10;

    /// <summary>The sliding window the failures are counted in; a client is let in again when its oldest failure leaves it.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Clients remembered at once: bounds the memory an attack from many addresses can take.</summary>
    [Range(100, 10_000_000)]
    public int MaxClients { get; set; } = 100_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Window <= TimeSpan.Zero || Window > TimeSpan.FromDays(1))
        {
            yield return new ValidationResult($"{Section}:Window '{Window}' must be between a second and a day, e.g. 00:05:00.", [nameof(Window)]);
        }
    }
}
