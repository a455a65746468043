using System.Globalization;
using System.Security.Claims;
using CommsHub.Core.Auth;

namespace CommsHub.Api.OperatorConsole;

/// <summary>
/// Times in the operator's own time zone. The console script stores the browser's IANA zone in the
/// <c>commshub_tz</c> cookie; pages render with it on the server (UTC until the browser has said,
/// or when the cookie names no zone this host knows). <see cref="Shared.When"/> shows one time.
/// </summary>
internal static class OperatorTime
{
    public const string Cookie = "commshub_tz";

    public static TimeZoneInfo Zone(HttpContext? http) =>
        http?.Request.Cookies[Cookie] is { Length: > 0 and <= 64 } id && TimeZoneInfo.TryFindSystemTimeZoneById(Uri.UnescapeDataString(id), out var zone) ? zone : TimeZoneInfo.Utc;

    public static string ZoneName(HttpContext? http) => Zone(http) is var zone && zone == TimeZoneInfo.Utc ? "UTC" : zone.Id;

    public static DateTimeOffset Local(HttpContext? http, DateTimeOffset at) => TimeZoneInfo.ConvertTime(at, Zone(http));

    public static string Format(HttpContext? http, DateTimeOffset at, string format = "yyyy-MM-dd HH:mm") =>
        Local(http, at).ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The role the session's scopes amount to (however it was signed in), for display.</summary>
    public static string RoleOf(ClaimsPrincipal user) => OperatorRoles.All.LastOrDefault(r =>
        OperatorRoles.ScopesOf(r).All(s => user.HasClaim(CommsHubClaims.Scope, s))) ?? "none";
}
