using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace CommsHub.Core.Channels.Resilience;

/// <summary>
/// When a provider (or one webhook target) counts as down: at least <see cref="MinimumThroughput"/>
/// calls within <see cref="SamplingDuration"/>, of which <see cref="FailureRatio"/> or more failed
/// transiently (5xx, time-out, no connection; a 429 or a permanent refusal is an answer, not a failure).
/// The circuit then stays open for <see cref="BreakDuration"/>, after which one probe decides.
/// Bound under each channel's section as <c>…:CircuitBreaker</c>.
/// </summary>
public sealed class CircuitBreakerOptions
{
    public double FailureRatio { get; set; } = 0.5;
    public int MinimumThroughput { get; set; } = 5;
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Field errors, each naming the full key (e.g. <c>Channels:Email:SendGrid:CircuitBreaker:FailureRatio</c>).</summary>
    /// <param name="section">The configuration section these options are bound from.</param>
    /// <param name="member">The options member path for the validation result (e.g. <c>SendGrid.CircuitBreaker</c>).</param>
    public IEnumerable<ValidationResult> Validate(string section, string member)
    {
        // The limits are Polly's own: outside them the pipeline would refuse to build at the first send.
        if (FailureRatio is <= 0 or > 1)
        {
            yield return Error(section, member, nameof(FailureRatio), FailureRatio.ToString(CultureInfo.InvariantCulture),
                "must be above 0 and at most 1 (the share of failed calls that opens the circuit, e.g. 0.5)");
        }
        if (MinimumThroughput < 2)
        {
            yield return Error(section, member, nameof(MinimumThroughput), MinimumThroughput.ToString(CultureInfo.InvariantCulture),
                "must be at least 2 (calls within the sampling duration before the ratio counts)");
        }
        if (SamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            yield return Error(section, member, nameof(SamplingDuration), SamplingDuration.ToString(), "must be at least 00:00:00.5, e.g. 00:01:00");
        }
        if (BreakDuration < TimeSpan.FromMilliseconds(500) || BreakDuration > TimeSpan.FromDays(1))
        {
            yield return Error(section, member, nameof(BreakDuration), BreakDuration.ToString(), "must be between 00:00:00.5 and 1.00:00:00, e.g. 00:00:30");
        }
    }

    private static ValidationResult Error(string section, string member, string key, string value, string rule) =>
        new($"{section}:{key} '{value}' {rule}.", [$"{member}.{key}"]);
}
