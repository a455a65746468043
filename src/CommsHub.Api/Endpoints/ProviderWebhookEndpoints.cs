using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Twilio.TwiML;

namespace CommsHub.Api.Endpoints;

/// <summary>Callbacks from providers: no key, but every request must carry the provider's valid signature.</summary>
public static class ProviderWebhookEndpoints
{
    public static IEndpointRouteBuilder MapProviderWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/twilio/sms", TwilioInboundSms).WithTags("Provider webhooks").DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> TwilioInboundSms(HttpRequest request, TwilioRequestValidation validation, SmsInbox inbox,
        IOptions<CommsHubOptions> options, CancellationToken ct)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync(ct) : null;
        var parameters = form?.ToDictionary(f => f.Key, f => f.Value.ToString()) ?? [];
        // Twilio signs the URL it was configured with: our public address, not the one we see behind a proxy.
        var url = options.Value.Link("/webhooks/twilio/sms") + request.QueryString;
        if (form is null || !validation.IsValid(url, parameters, request.Headers["X-Twilio-Signature"].ToString()))
        {
            return Forbidden("The X-Twilio-Signature header is missing or does not match this request.");
        }
        if (!parameters.TryGetValue("MessageSid", out var sid) || !parameters.TryGetValue("From", out var from)
            || string.IsNullOrEmpty(sid) || string.IsNullOrEmpty(from))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an inbound message.",
                detail: "An inbound SMS carries MessageSid and From.");
        }
        var reply = await inbox.HandleAsync(sid, from, parameters.GetValueOrDefault("Body"), ct);
        var twiml = new MessagingResponse();
        if (reply is not null)
        {
            twiml.Message(reply);
        }
        return Results.Content(twiml.ToString(), "text/xml; charset=utf-8");
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Forbidden.", Detail = detail });
}
