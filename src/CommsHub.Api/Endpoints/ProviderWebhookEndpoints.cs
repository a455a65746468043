using CommsHub.Core.Channels.Email.EventWebhook;
using CommsHub.Core.Channels.Sms;
using CommsHub.Core.Deliveries.ProviderEvents;
using CommsHub.Core.Hosting;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Twilio.TwiML;

namespace CommsHub.Api.Endpoints;

/// <summary>Callbacks from providers: no key, but every request must carry the provider's valid signature.</summary>
public static class ProviderWebhookEndpoints
{
    // SendGrid posts batches of up to a few thousand events; far beyond that is not SendGrid.
    private const int MaxEventBatchBytes = 8 * 1024 * 1024;

    public static IEndpointRouteBuilder MapProviderWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/twilio/sms", TwilioInboundSms).WithTags("Provider webhooks").DisableAntiforgery();
        app.MapPost("/webhooks/twilio/status", TwilioStatus).WithTags("Provider webhooks").DisableAntiforgery();
        app.MapPost("/webhooks/sendgrid/events", SendGridEvents).WithTags("Provider webhooks");
        return app;
    }

    /// <summary>
    /// SendGrid's signed Event Webhook. The signature covers the exact bytes posted, so the body is
    /// read here as bytes and never through model binding (which would re-encode it).
    /// </summary>
    private static async Task<IResult> SendGridEvents(HttpRequest request, SendGridEventWebhookValidation validation, SendGridEventHandler handler,
        CancellationToken ct)
    {
        if (!validation.Configured)
        {
            return Forbidden("The SendGrid Event Webhook is not configured here: set Channels:Email:SendGrid:EventWebhookPublicKey "
                + "to the verification key SendGrid shows under Mail Settings → Event Webhook → Signature Verification.");
        }
        var body = await ReadBodyAsync(request, MaxEventBatchBytes, ct);
        if (body is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large.",
                detail: $"An event batch is at most {MaxEventBatchBytes} bytes.");
        }
        var verdict = validation.Verify(body, request.Headers[SendGridEventWebhookValidation.SignatureHeader].ToString(),
            request.Headers[SendGridEventWebhookValidation.TimestampHeader].ToString());
        switch (verdict)
        {
            case EventWebhookVerdict.MissingSignature:
                return Forbidden($"The {SendGridEventWebhookValidation.SignatureHeader} and {SendGridEventWebhookValidation.TimestampHeader} headers are required.");
            case EventWebhookVerdict.StaleTimestamp:
                return Forbidden($"The signed timestamp is more than {SendGridEventWebhookValidation.Tolerance.TotalMinutes:0} minutes from this server's clock.");
            case EventWebhookVerdict.BadSignature or EventWebhookVerdict.NotConfigured:
                return Forbidden($"The {SendGridEventWebhookValidation.SignatureHeader} header does not match this request.");
        }
        var events = SendGridEvent.ParseBatch(body);
        if (events is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not an event batch.",
                detail: "The Event Webhook posts a JSON array of events.");
        }
        await handler.HandleAsync(events, ct);
        return TypedResults.Ok();
    }

    /// <summary>Twilio's delivery status callbacks for the SMS we send, signed like the inbound SMS webhook.</summary>
    private static async Task<IResult> TwilioStatus(HttpRequest request, TwilioRequestValidation validation, TwilioStatusHandler handler,
        IOptions<CommsHubOptions> options, CancellationToken ct)
    {
        var form = request.HasFormContentType ? await request.ReadFormAsync(ct) : null;
        var parameters = form?.ToDictionary(f => f.Key, f => f.Value.ToString()) ?? [];
        // The URL our SMS sender gave Twilio as StatusCallback, which is what Twilio signs.
        var url = options.Value.Link("/webhooks/twilio/status") + request.QueryString;
        if (form is null || !validation.IsValid(url, parameters, request.Headers["X-Twilio-Signature"].ToString()))
        {
            return Forbidden("The X-Twilio-Signature header is missing or does not match this request.");
        }
        if (!parameters.TryGetValue("MessageSid", out var sid) || !parameters.TryGetValue("MessageStatus", out var status)
            || string.IsNullOrEmpty(sid) || string.IsNullOrEmpty(status))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a status callback.",
                detail: "A status callback carries MessageSid and MessageStatus.");
        }
        await handler.HandleAsync(sid, status, parameters.GetValueOrDefault("ErrorCode"), ct);
        return TypedResults.Ok();
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

    /// <returns>The whole body, or null when it is longer than <paramref name="limit"/>.</returns>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(new ProblemDetails { Status = StatusCodes.Status403Forbidden, Title = "Forbidden.", Detail = detail });
}
