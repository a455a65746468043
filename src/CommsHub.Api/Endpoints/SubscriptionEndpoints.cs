using CommsHub.Api.Website;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Endpoints;

/// <param name="TurnstileResponse">The CAPTCHA token when <c>Subscriptions:Captcha</c> is on, under the name each provider's widget posts it.</param>
public sealed record PublicSubscriptionRequest(string? Email = null, string? Phone = null, string? WebhookUrl = null, List<Guid>? Components = null,
    [property: System.Text.Json.Serialization.JsonPropertyName("cf-turnstile-response")] string? TurnstileResponse = null,
    [property: System.Text.Json.Serialization.JsonPropertyName("h-captcha-response")] string? HCaptchaResponse = null);

/// <summary>The one answer to every accepted request: nothing in it depends on what CommsHub already knew.</summary>
public sealed record PublicSubscriptionResponse(string Status, string Message);

/// <summary>Self-service subscription, confirmation and unsubscribe: no key, rate-limited where it costs.</summary>
public static class SubscriptionEndpoints
{
    public const string RateLimitPolicy = "public-subscriptions";

    public static IEndpointRouteBuilder MapSubscriptionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/public/subscriptions", Subscribe).WithTags("Public").RequireRateLimiting(RateLimitPolicy)
            .AddEndpointFilter<Infrastructure.PublicSubscriptionFilter>();
        app.MapGet("/subscriptions/confirm", Confirm).WithTags("Public");
        app.MapGet("/subscriptions/unsubscribe", UnsubscribePage).WithTags("Public");
        // RFC 8058 one-click: mail providers POST "List-Unsubscribe=One-Click"; our own page posts its form.
        app.MapPost("/subscriptions/unsubscribe", Unsubscribe).WithTags("Public").DisableAntiforgery();
        return app;
    }

    private static async Task<Accepted<PublicSubscriptionResponse>> Subscribe(PublicSubscriptionRequest request, SubscriberService subscribers, CancellationToken ct)
    {
        await subscribers.SubscribeAsync(request.Email, request.Phone, request.WebhookUrl, request.Components, ct);
        var how = request.Email is not null ? "Check your inbox for a confirmation link."
            : request.Phone is not null ? "Reply YES to the text message we sent to confirm."
            : "Open the confirmation link in the event we posted to your endpoint.";
        // The same answer whether or not the address was already known: no way to probe who is subscribed.
        // A webhook's secret never appears here: it travels to the endpoint itself, in the confirmation event.
        return TypedResults.Accepted((string?)null, new PublicSubscriptionResponse("pending", $"Almost done. {how}"));
    }

    private static async Task<IResult> Confirm(string? token, SubscriptionTokens tokens, SubscriberService subscribers, IOptions<CommsHubOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (!tokens.TryReadConfirmation(token, out var link))
        {
            return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status400BadRequest, "This link is not valid", "⚠️",
                "<p>This confirmation link is not valid or has expired. Nothing was changed.</p>" +
                "<p class=\"muted\">Subscribe again to receive a fresh link.</p>");
        }
        // Opened again (by the person, or a mail scanner before them), a link shows where things stand and changes nothing.
        return await subscribers.ConfirmAsync(link, ct) switch
        {
            ConfirmOutcome.Confirmed => SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status200OK,
                "Subscription confirmed", "✅",
                $"<p>You will now hear from {SitePage.Encode(o.PageName)} about incidents and maintenance.</p>" +
                "<p class=\"muted\">Every message has a link to unsubscribe with one click.</p>"),
            ConfirmOutcome.AlreadyConfirmed => SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status200OK,
                "Subscription confirmed", "✅",
                $"<p>This subscription is already confirmed: you hear from {SitePage.Encode(o.PageName)} about incidents and maintenance.</p>" +
                "<p class=\"muted\">Nothing was changed. Every message has a link to unsubscribe with one click.</p>"),
            ConfirmOutcome.Superseded => SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status409Conflict,
                "This link was replaced", "⚠️",
                "<p>A newer confirmation was sent since this one: only the link in the most recent message works. Nothing was changed.</p>"),
            ConfirmOutcome.NotPending => SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status409Conflict,
                "Not subscribed", "⚠️",
                "<p>This subscription was ended, and an old confirmation link does not start it again. Nothing was changed.</p>" +
                "<p class=\"muted\">To subscribe again, use the form on the status page: a new confirmation will be sent.</p>"),
            _ => SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status404NotFound, "Subscription not found", "⚠️",
                "<p>This subscription no longer exists. Nothing was changed.</p>"),
        };
    }

    private static IResult UnsubscribePage(string? token, SubscriptionTokens tokens, IOptions<CommsHubOptions> options)
    {
        var o = options.Value;
        if (!tokens.TryReadUnsubscribe(token, out _))
        {
            return InvalidUnsubscribe(o);
        }
        // A GET never unsubscribes: mail scanners open links. The button POSTs to the same URL.
        return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status200OK, "Unsubscribe", "✉️",
            $"<p>Stop receiving {SitePage.Encode(o.PageName)} incident messages?</p>" +
            $"<form method=\"post\" action=\"/subscriptions/unsubscribe?token={SitePage.Encode(Uri.EscapeDataString(token!))}\">" +
            "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>");
    }

    private static async Task<IResult> Unsubscribe(string? token, SubscriptionTokens tokens, SubscriberService subscribers, IOptions<CommsHubOptions> options, CancellationToken ct)
    {
        var o = options.Value;
        if (!tokens.TryReadUnsubscribe(token, out var id))
        {
            return InvalidUnsubscribe(o);
        }
        await subscribers.UnsubscribeAsync(id, ct);
        // Erased or already unsubscribed: the person's wish holds either way, so the answer is the same.
        return SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status200OK, "You are unsubscribed", "✅",
            $"<p>You will not receive further messages from {SitePage.Encode(o.PageName)}.</p>");
    }

    private static IResult InvalidUnsubscribe(CommsHubOptions o) =>
        SitePage.Render(o.PageName, o.Link("/"), StatusCodes.Status400BadRequest, "This link is not valid", "⚠️",
            "<p>This unsubscribe link is not valid. Nothing was changed.</p>" +
            "<p class=\"muted\">Use the link from the most recent message you received.</p>");
}
