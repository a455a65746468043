using System.Globalization;
using System.Threading.RateLimiting;
using CommsHub.Api.Endpoints;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// The public subscription endpoint costs money (every SMS confirmation does), so each client
/// gets a fixed window of requests (OWASP API4). A client is its IPv4 address or its IPv6 /64: one
/// host is usually given a whole /64, so counting single IPv6 addresses would give it 2^64 allowances.
/// Behind a reverse proxy, configure forwarded headers so the client's address, not the proxy's, is the partition.
/// </summary>
internal static class RateLimiting
{
    public static IServiceCollection AddCommsHubRateLimiting(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SubscriptionEndpoints.RateLimitPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<SubscriptionOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(AuthFailureThrottle.ClientOf(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.RateLimitPermits,
                    Window = options.RateLimitWindow,
                    QueueLimit = 0,
                });
            });
            o.OnRejected = async (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests.",
                        Detail = $"Too many subscription requests from this address; try again in {seconds} s.",
                    },
                });
            };
        });
}
