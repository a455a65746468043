namespace CommsHub.Core.Common;

/// <summary>A request refused by a limit: answered 429 with <c>Retry-After</c>, saying only what the caller may do about it.</summary>
public sealed class TooManyRequestsException(string detail, TimeSpan retryAfter) : Exception(detail)
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>Whole seconds, at least one: what <c>Retry-After</c> carries.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));
}
