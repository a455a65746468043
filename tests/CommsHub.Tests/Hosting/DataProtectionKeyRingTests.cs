using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CommsHub.Core.Subscribers;
using CommsHub.Testing;
using CommsHub.Tests.Api;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Tests.Hosting;

/// <summary>The Data Protection key ring in the database, encrypted with the configured certificate.</summary>
public sealed class DataProtectionKeyRingTests : SqliteAppTest, IDisposable
{
    private const string Password = "pfx-password-for-tests";
    private readonly string _dir = Directory.CreateTempSubdirectory("commshub-keyring-").FullName;
    private readonly string _certificate;
    private readonly string _next;

    public DataProtectionKeyRingTests()
    {
        _certificate = WriteCertificate("current.pfx", "CN=CommsHub key ring");
        _next = WriteCertificate("next.pfx", "CN=CommsHub key ring rotated");
    }

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["DataProtection:Certificate:Path"] = _certificate,
        ["DataProtection:Certificate:Password"] = Password,
    };

    [Fact]
    public async Task Keys_are_stored_encrypted_and_a_restarted_host_reads_what_it_issued()
    {
        var subscriber = Guid.Parse(await Admin.SubscribeAsync("reader@example.com"));
        var unsubscribe = App.Services.GetRequiredService<SubscriptionTokens>().ForUnsubscribe(subscriber);
        var cookie = await DashboardCookieAsync(App);

        var xml = await WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync());
        Assert.NotEmpty(xml);
        Assert.All(xml, k =>
        {
            Assert.Contains("<EncryptedKey", k, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", k, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", k, StringComparison.Ordinal);
        });

        await RestartAsync();
        Assert.Equal(HttpStatusCode.OK, await DashboardStatusAsync(App, cookie));
        using var client = App.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/subscriptions/unsubscribe?token=" + Uri.EscapeDataString(unsubscribe))).StatusCode);
    }

    [Fact]
    public async Task After_a_rotation_the_previous_certificate_still_reads_the_old_keys_and_without_it_nothing_does()
    {
        var cookie = await DashboardCookieAsync(App);

        await using (var rotated = Host(new()
        {
            ["DataProtection:Certificate:Path"] = _next,
            ["DataProtection:Certificate:Password"] = Password,
            ["DataProtection:PreviousCertificates:0:Path"] = _certificate,
            ["DataProtection:PreviousCertificates:0:Password"] = Password,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, await DashboardStatusAsync(rotated, cookie));
        }
        await using var forgotten = Host(new()
        {
            ["DataProtection:Certificate:Path"] = _next,
            ["DataProtection:Certificate:Password"] = Password,
        });
        // The old key cannot be decrypted: the cookie is worth nothing, and the visitor is asked to sign in.
        Assert.Equal(HttpStatusCode.Redirect, await DashboardStatusAsync(forgotten, cookie));
    }

    [Theory]
    [InlineData("missing.pfx", Password, "does not exist")]
    [InlineData("current.pfx", "wrong-password", "password")]
    public void A_certificate_that_cannot_be_opened_stops_the_start_with_the_reason(string file, string password, string reason)
    {
        using var host = Host(new()
        {
            ["DataProtection:Certificate:Path"] = Path.Combine(_dir, file),
            ["DataProtection:Certificate:Password"] = password,
        });
        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());
        var messages = string.Join(" | ", Chain(error).Select(e => e.Message));
        Assert.Contains("DataProtection:Certificate", messages, StringComparison.Ordinal);
        Assert.Contains(reason, messages, StringComparison.Ordinal);
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private CommsHubApp Host(Dictionary<string, string?> settings)
    {
        settings["Database:Provider"] = "Sqlite";
        settings["ConnectionStrings:CommsHub"] = $"Data Source={DatabaseFile}";
        return new CommsHubApp(settings);
    }

    private static async Task<string> DashboardCookieAsync(CommsHubApp app)
    {
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var signIn = await browser.PostAsync("/hangfire/login",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = CommsHubApp.AdminKey, ["returnUrl"] = "/hangfire" }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("commshub_dashboard=", StringComparison.Ordinal)).Split(';')[0];
    }

    private static async Task<HttpStatusCode> DashboardStatusAsync(CommsHubApp app, string cookie)
    {
        using var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        request.Headers.Add("Cookie", cookie);
        using var response = await browser.SendAsync(request);
        return response.StatusCode;
    }

    private string WriteCertificate(string file, string subject)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(_dir, file);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
