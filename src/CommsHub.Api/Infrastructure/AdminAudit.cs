using System.Text.Json.Nodes;
using CommsHub.Core.Audit;
using CommsHub.Core.Auth;
using CommsHub.Core.Common;
using CommsHub.Core.Data;

namespace CommsHub.Api.Infrastructure;

/// <summary>
/// Every admin call that can change something (anything but GET) is written to the audit log:
/// who (<c>key:&lt;name&gt;</c> or <c>operator:&lt;email&gt;</c>), what (method, route, the ids in it, the answer), when and from where.
/// Bodies are not recorded: they carry addresses, and the log must survive an erasure unchanged.
/// </summary>
internal sealed class AdminAudit(CommsHubDbContext db, TimeProvider time, ILogger<AdminAudit> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        {
            return await next(context);
        }
        object? result = null;
        Exception? failure = null;
        try
        {
            result = await next(context);
            return result;
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            // With the database unreachable there is nothing to record (the call changed nothing) and
            // trying would only make the caller wait out another connect time-out for its 503.
            if (failure is null || !DatabaseFailures.IsUnavailable(failure))
            {
                await RecordAsync(http, result, failure);
            }
        }
    }

    /// <summary>Who made an admin call, as the audit log names them: the actor claim every CommsHub principal carries.</summary>
    public static string Actor(HttpContext http) => http.User.FindFirst(CommsHubClaims.Actor)?.Value ?? "unknown";

    private async Task RecordAsync(HttpContext http, object? result, Exception? failure)
    {
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? "";
        var ids = new JsonObject();
        foreach (var (name, value) in http.Request.RouteValues)
        {
            ids[name] = value?.ToString();
        }
        var inner = result is INestedHttpResult nested ? nested.Result : result;
        var status = inner is IStatusCodeHttpResult { StatusCode: { } code } ? code : failure switch
        {
            null => http.Response.StatusCode,
            ValidationException or BadHttpRequestException => StatusCodes.Status400BadRequest,
            StateConflictException or Core.Subscribers.SubscriberConflictException or Core.Subscribers.SubscriberSuppressedException => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status500InternalServerError,
        };
        var data = new JsonObject
        {
            ["method"] = http.Request.Method,
            ["route"] = route,
            ["routeValues"] = ids,
            ["status"] = status,
            ["error"] = failure?.GetType().Name,
            // Created and Accepted name what was made.
            ["location"] = inner?.GetType().GetProperty("Location")?.GetValue(inner) as string,
        };
        var actor = Actor(http);
        var subject = http.Request.RouteValues.TryGetValue("id", out var id) ? id?.ToString() : null;
        try
        {
            // Its own unit of work: the change already committed (or failed) in the handler's.
            db.ChangeTracker.Clear();
            AuditLog.Append(db, time.GetUtcNow(), actor, "admin." + http.Request.Method.ToLowerInvariant(), subject, data,
                http.Connection.RemoteIpAddress?.ToString());
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Could not write the audit entry for {Method} {Route}", http.Request.Method, route);
        }
    }
}
