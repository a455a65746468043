using System.Net.Http.Headers;

namespace CommsHub.Core.Channels.Resilience;

/// <summary>The one reading of a standard <c>Retry-After</c> header, for every channel (chat and social add their own body and rate-limit headers).</summary>
public static class RetryAfterHeader
{
    /// <summary>A Retry-After (seconds or an HTTP date) as a wait from <paramref name="now"/>, or null without one.</summary>
    public static TimeSpan? Parse(HttpResponseHeaders? headers, DateTimeOffset now)
    {
        var header = headers?.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header?.Date is { } date)
        {
            return date > now ? date - now : TimeSpan.Zero;
        }
        return null;
    }
}
