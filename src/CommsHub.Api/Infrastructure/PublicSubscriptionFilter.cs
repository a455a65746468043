using System.Globalization;
using CommsHub.Api.Endpoints;
using CommsHub.Api.Website;
using CommsHub.Core.Common;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Puts <see cref="PublicSubscriptionGuard"/> in front of both ways the public subscribes: the JSON API
/// (refusals become problem details through the exception handler) and the website's form (refusals
/// become a page, as the form's other errors do). Nothing reaches the subscription service unless it passed.
/// </summary>
internal sealed class PublicSubscriptionFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var guard = http.RequestServices.GetRequiredService<PublicSubscriptionGuard>();
        var client = http.Connection.RemoteIpAddress;
        if (context.Arguments.OfType<PublicSubscriptionRequest>().FirstOrDefault() is { } json)
        {
            await guard.CheckAsync(json.Email, json.Phone, json.WebhookUrl, json.TurnstileResponse ?? json.HCaptchaResponse, client, http.RequestAborted);
            return await next(context);
        }

        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
        string? Field(string name) => form?[name].ToString() is { Length: > 0 } v ? v : null;
        var o = http.RequestServices.GetRequiredService<IOptions<CommsHubOptions>>().Value;
        try
        {
            await guard.CheckAsync(Field("email"), Field("phone"), Field("webhookUrl"),
                Field("cf-turnstile-response") ?? Field("h-captcha-response"), client, http.RequestAborted);
        }
        catch (ValidationException invalid)
        {
            var list = string.Join("", invalid.Errors.SelectMany(e => e.Value).Select(m => $"<li>{SitePage.Encode(m)}</li>"));
            return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status400BadRequest, "Please check the form", "⚠️",
                $"<ul>{list}</ul><p><a href=\"/#subscribe\">Back to the form</a></p>");
        }
        catch (TooManyRequestsException limited)
        {
            http.Response.Headers.RetryAfter = limited.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status429TooManyRequests, "Please try again later", "⏳",
                $"<p>{SitePage.Encode(limited.Message)}</p><p><a href=\"/\">Back to the status page</a></p>");
        }
        return await next(context);
    }
}
