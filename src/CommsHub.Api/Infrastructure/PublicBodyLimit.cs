using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Bodies posted to the public surface (the subscription API and form, confirm and unsubscribe) are at
/// most <see cref="MaxBytes"/>: nothing legitimate there comes near it, and a large body is only work
/// for the server. Read into memory up to the limit, so a chunked body without a length is held to it
/// too, and refused with a 413 problem before any endpoint sees it. Provider callbacks keep their own
/// limits (<c>/webhooks/*</c>); the admin API keeps the server's.
/// </summary>
internal static class PublicBodyLimit
{
    public const int MaxBytes = 16 * 1024;

    private static readonly string[] PublicPrefixes = ["/api/public", "/subscriptions", "/subscribe"];

    public static IApplicationBuilder UsePublicBodyLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || !PublicPrefixes.Any(p => request.Path.StartsWithSegments(p)))
        {
            await next(http);
            return;
        }
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes + 1L; // the server stops reading past it, whatever we do below
        }
        if (request.ContentLength > MaxBytes)
        {
            await TooLargeAsync(http);
            return;
        }
        var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBytes)
                {
                    await TooLargeAsync(http);
                    return;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLargeAsync(http);
            return;
        }
        buffer.Position = 0;
        request.Body = buffer;
        await next(http);
    });

    private static async Task TooLargeAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        http.Response.Headers.Connection = "close"; // the rest of the body is not read
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "Request body too large.",
                Detail = $"A request to this address carries at most {MaxBytes / 1024} KB.",
            },
        });
    }
}
