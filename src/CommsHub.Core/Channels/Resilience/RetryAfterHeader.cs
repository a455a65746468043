using System.Net.Http.Headers;

namespace CommsHub.Core.Channels.Resilience;

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
