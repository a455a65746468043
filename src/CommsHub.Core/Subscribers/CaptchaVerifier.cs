using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Subscribers;

public sealed class CaptchaOptions
{
    public const string Turnstile = "turnstile";
    public const string HCaptcha = "hcaptcha";

    /// <summary><c>turnstile</c> (Cloudflare) or <c>hcaptcha</c>; empty: no CAPTCHA.</summary>
    public string Provider { get; set; } = "";

    /// <summary>The public site key the widget on the status page shows.</summary>
    public string SiteKey { get; set; } = "";

    /// <summary>The secret key the server verifies tokens with.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The provider's verification endpoint; empty: the provider's own.</summary>
    public string VerifyUrl { get; set; } = "";

    public bool Enabled => !string.IsNullOrWhiteSpace(Provider);

    public string Kind => Provider.Trim().ToLowerInvariant();

    /// <summary>The form field the provider's widget posts its token in.</summary>
    public string TokenField => Kind == HCaptcha ? "h-captcha-response" : "cf-turnstile-response";

    public Uri VerifyUri => new(string.IsNullOrWhiteSpace(VerifyUrl)
        ? Kind == HCaptcha ? "https://api.hcaptcha.com/siteverify" : "https://challenges.cloudflare.com/turnstile/v0/siteverify"
        : VerifyUrl);

    /// <summary>The widget's script, and the origins it loads from and talks to (for the page's CSP).</summary>
    public string ScriptUrl => Kind == HCaptcha ? "https://js.hcaptcha.com/1/api.js" : "https://challenges.cloudflare.com/turnstile/v0/api.js";

    public IReadOnlyList<string> WidgetOrigins => Kind == HCaptcha
        ? ["https://hcaptcha.com", "https://*.hcaptcha.com"]
        : ["https://challenges.cloudflare.com"];

    internal IEnumerable<ValidationResult> Validate()
    {
        if (!Enabled)
        {
            yield break;
        }
        if (Kind is not (Turnstile or HCaptcha))
        {
            yield return new ValidationResult($"Subscriptions:Captcha:Provider '{Provider}' is not known: use turnstile or hcaptcha, or leave it empty.", ["Captcha.Provider"]);
            yield break;
        }
        if (string.IsNullOrWhiteSpace(Secret) || string.IsNullOrWhiteSpace(SiteKey))
        {
            yield return new ValidationResult($"Subscriptions:Captcha:Secret and :SiteKey are both required with the {Kind} provider: copy them from the provider's dashboard.", ["Captcha.Secret"]);
        }
        if (!string.IsNullOrWhiteSpace(VerifyUrl) && (!Uri.TryCreate(VerifyUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"Subscriptions:Captcha:VerifyUrl '{VerifyUrl}' is not an absolute http(s) URL.", ["Captcha.VerifyUrl"]);
        }
    }
}

/// <summary>
/// Checks a CAPTCHA token server-side with the configured provider (Turnstile and hCaptcha share one
/// protocol: a form POST of secret, response and remoteip, answered with <c>{"success": …}</c>). A
/// provider that cannot be reached counts as a failed check: the form exists to stop automated sign-ups.
/// </summary>
public sealed class CaptchaVerifier(HttpClient http, IOptions<PublicSubscriptionOptions> options, ILogger<CaptchaVerifier> logger)
{
    public bool Enabled => options.Value.Captcha.Enabled;

    public string TokenField => options.Value.Captcha.TokenField;

    public async Task<bool> VerifyAsync(string? token, IPAddress? client, CancellationToken cancellationToken)
    {
        var captcha = options.Value.Captcha;
        if (!captcha.Enabled)
        {
            return true;
        }
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4096)
        {
            return false;
        }
        var form = new Dictionary<string, string> { ["secret"] = captcha.Secret, ["response"] = token };
        if (client is not null)
        {
            form["remoteip"] = client.ToString();
        }
        if (captcha.Kind == CaptchaOptions.HCaptcha)
        {
            form["sitekey"] = captcha.SiteKey;
        }
        try
        {
            using var response = await http.PostAsync(captcha.VerifyUri, new FormUrlEncodedContent(form), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("The {Provider} verification endpoint answered {Status}; the subscription request is refused", captcha.Kind, (int)response.StatusCode);
                return false;
            }
            var answer = await response.Content.ReadFromJsonAsync<VerifyAnswer>(cancellationToken);
            if (answer?.Success != true)
            {
                logger.LogInformation("A {Provider} token was refused: {Errors}", captcha.Kind, string.Join(", ", answer?.ErrorCodes ?? []));
            }
            return answer?.Success == true;
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not verify a {Provider} token; the subscription request is refused", captcha.Kind);
            return false;
        }
    }

    private sealed record VerifyAnswer(
        [property: JsonPropertyName("success")] bool Success,
        [property: JsonPropertyName("error-codes")] string[]? ErrorCodes);
}
