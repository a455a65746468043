using System.Text.Json;
using CommsHub.Core.Common;
using CommsHub.Core.Subscribers;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace CommsHub.Api.Infrastructure;

/// <summary>Maps the exceptions we know to RFC 9457 problem details; everything else stays a 500.</summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
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
            BadHttpRequestException { InnerException: JsonException json } => new HttpValidationProblemDetails(
                new Dictionary<string, string[]> { [JsonField(json.Path)] = [JsonMessage(json)] })
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
            StateConflictException state => new ProblemDetails
            {
                Status = StatusCodes.Status409Conflict,
                Title = state.Title,
                Detail = state.Message,
            },
            _ => null,
        };
        if (problem is null)
        {
            return false;
        }
        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>"$.components[0].id" → "components[0].id"; the whole body ("$" or none) → "$".</summary>
    private static string JsonField(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "$" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');

    private static string JsonMessage(JsonException json) =>
        json.Path is null or "$"
            ? "The body must be a JSON object matching this endpoint's request."
            : $"The value at '{JsonField(json.Path)}' has the wrong type or format.";
}
