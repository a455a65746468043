using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CommsHub.Api.Infrastructure;

/// <summary>Cookie sessions for operators signed in at <c>/login</c>.</summary>
internal static class OperatorSessions
{
    public static AuthenticationBuilder AddOperatorSessions(this AuthenticationBuilder authentication) =>
        authentication.AddCookie(AuthSchemes.OperatorCookie, o =>
        {
            o.Cookie.Name = "commshub_session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.ReturnUrlParameter = "returnUrl";
        });
}
