using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Wires <see cref="AuthFailureThrottle"/> in front of API key authentication: a request that
/// presents a key from a blocked client is answered 429 before the key is looked at; otherwise the
/// key is checked here, once (the handler keeps its result for the rest of the request), and a
/// failure counts. Sign-in forms call the throttle themselves (see <c>SchedulingDashboard</c>).
/// </summary>
internal static class AuthFailureThrottling
{
    public static IServiceCollection AddAuthFailureThrottle(this IServiceCollection services)
    {
        services.AddOptions<AuthThrottleOptions>().BindConfiguration(AuthThrottleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuthFailureThrottle>();
        return services;
    }

    /// <summary>Goes right before <c>UseAuthentication</c>.</summary>
    public static IApplicationBuilder UseAuthFailureThrottle(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (string.IsNullOrEmpty(context.Request.Headers.Authorization))
        {
            await next(context);
            return;
        }
        var throttle = context.RequestServices.GetRequiredService<AuthFailureThrottle>();
        if (throttle.IsBlocked(context, out var retryAfter))
        {
            await WriteTooManyAsync(context, retryAfter);
            return;
        }
        var result = await context.AuthenticateAsync(AuthSchemes.ApiKey);
        if (result.Succeeded)
        {
            throttle.RecordSuccess(context);
        }
        else if (result.Failure is not null)
        {
            throttle.RecordFailure(context);
        }
        await next(context);
    });

    /// <summary>Whole seconds, at least one: what <c>Retry-After</c> says.</summary>
    public static int Seconds(TimeSpan retryAfter) => Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));

    public static async Task WriteTooManyAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Seconds(retryAfter);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many failed sign-ins.",
                Detail = $"Too many failed authentications from this address; no credential is checked from it for {seconds} s.",
            },
        });
    }
}
