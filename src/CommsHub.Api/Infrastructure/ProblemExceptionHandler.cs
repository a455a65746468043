using System.Text.Json;
using CommsHub.Api.Infrastructure.Json;
using CommsHub.Core.Common;
using CommsHub.Core.Data;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Diagnostics;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace CommsHub.Api.Infrastructure;

/// <summary>Maps the exceptions we know to RFC 9457 problem details; everything else stays a 500.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, IOptions<HttpJsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails? problem = exception switch
        {
            ValidationException v => new HttpValidationProblemDetails(v.Errors)
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "One or more fields are invalid.",
            },
            BadHttpRequestException { InnerException: JsonException invalid } => new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { [JsonField(invalid.Path)] = [JsonMessage(invalid, httpContext)] })
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "The request body is not valid JSON for this endpoint.",
            },
            BadHttpRequestException bad => new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "Unsupported media type." : "Bad request.",
                Detail = bad.Message,
            },
            SubscriberConflictException conflict => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Already subscribed.",
                Detail = conflict.Message,
                Extensions = { ["existingId"] = conflict.ExistingId },
            },
            SubscriberSuppressedException suppressed => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Suppressed address.",
                Detail = suppressed.Message,
            },
            TooManyRequestsException limited => new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests.",
                Detail = limited.Message,
            },
            StateConflictException state => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = state.Title,
                Detail = state.Message,
                Extensions = new Dictionary<string, object?>(state.Extensions),
            },
            _ when DatabaseFailures.IsUnavailable(exception) => new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database is unavailable.",
                Detail = "Nothing was stored or sent. Try again in a few seconds.",
            },
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }
        httpContext.Response.StatusCode = problem.Status!.Value;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
        }
        if (exception is TooManyRequestsException tooMany)
        {
            httpContext.Response.Headers.RetryAfter = tooMany.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private const string RetryAfterSeconds = "5";

    /// <summary>"$.components[0].id" → "components[0].id"; the whole body ("$" or none) → "$".</summary>
    private static string JsonField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private string JsonMessage(JsonException invalid, HttpContext httpContext)
    {
        if (invalid is JsonFieldException field)
        {
            return $"{JsonField(invalid.Path)} {field.Reason}";
        }
        // The serializer wraps the reader's own error (a JsonException subclass it keeps internal): the
        // body is not JSON at all there, e.g. a control character sent raw inside a string, not escaped.
        if (invalid.InnerException is JsonException && invalid.LineNumber is { } line && invalid.BytePositionInLine is { } position)
        {
            var reason = invalid.Message;
            var cut = reason.IndexOf(" Path: ", StringComparison.Ordinal) is >= 0 and var p ? p : reason.IndexOf(" LineNumber: ", StringComparison.Ordinal);
            return $"The body is not valid JSON at line {line + 1}, byte {position + 1}: {(cut >= 0 ? reason[..cut] : reason)}";
        }
        // The exception handler middleware clears the endpoint before handlers run; its feature keeps it.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var requestType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        return UnknownJsonField.Describe(invalid.Path, requestType, json.Value.SerializerOptions)
            ?? (invalid.Path is null or "$"
                ? "The body must be a JSON object matching this endpoint's request."
                : $"The value at '{JsonField(invalid.Path)}' has the wrong type or format.");
    }
}
