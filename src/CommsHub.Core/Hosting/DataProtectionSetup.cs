using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CommsHub.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CommsHub.Core.Hosting;

/// <summary>
/// Data Protection signs and encrypts the links CommsHub sends (confirm, unsubscribe), the
/// sign-in cookies, and the secrets it keeps (TOTP seeds). Its keys live in the database so that
/// every process, across restarts, reads what the others wrote; with <c>DataProtection:Certificate</c>
/// they are stored encrypted with that certificate, so a copy of the database alone opens none of it.
/// </summary>
public static class DataProtectionSetup
{
    public static IServiceCollection AddCommsHubDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DataProtectionKeyOptions.Section).Get<DataProtectionKeyOptions>() ?? new DataProtectionKeyOptions();
        var dataProtection = services.AddDataProtection().SetApplicationName("CommsHub").PersistKeysToDbContext<CommsHubDbContext>();
        if (options.Certificate is not { IsSet: true } current)
        {
            services.AddHostedService<UnencryptedKeyRingWarning>();
            return services;
        }
        // Loaded here, while the host is built: a missing file or a wrong password stops the start with the reason.
        dataProtection.ProtectKeysWithCertificate(Load(current, $"{DataProtectionKeyOptions.Section}:Certificate"));
        var previous = options.PreviousCertificates.Where(c => c.IsSet)
            .Select((c, i) => Load(c, $"{DataProtectionKeyOptions.Section}:PreviousCertificates:{i}")).ToArray();
        if (previous.Length > 0)
        {
            dataProtection.UnprotectKeysWithAnyCertificate(previous);
        }
        return services;
    }

    public static X509Certificate2 Load(CertificateSource source, string name)
    {
        X509Certificate2 certificate;
        if (!string.IsNullOrWhiteSpace(source.Path))
        {
            if (!File.Exists(source.Path))
            {
                throw new InvalidOperationException($"{name}:Path '{source.Path}' does not exist. Point it at a PKCS#12 (.pfx) file with the certificate and its private key.");
            }
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(source.Path, source.Password, X509KeyStorageFlags.EphemeralKeySet);
            }
            catch (CryptographicException e)
            {
                throw new InvalidOperationException($"{name}:Path '{source.Path}' could not be opened: the password ({name}:Password) is wrong or the file is not PKCS#12 ({e.Message}).", e);
            }
        }
        else
        {
            certificate = FromStore(source.Thumbprint!.Trim())
                ?? throw new InvalidOperationException($"{name}:Thumbprint '{source.Thumbprint}' is in neither the current user's nor the machine's personal certificate store.");
        }
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException($"{name} '{certificate.Subject}' has no private key: the key ring could be written but never read back.");
        }
        return certificate;
    }

    private static X509Certificate2? FromStore(string thumbprint)
    {
        foreach (var location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
        {
            try
            {
                using var store = new X509Store(StoreName.My, location);
                store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                if (store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint, validOnly: false) is [var found, ..])
                {
                    return found;
                }
            }
            catch (CryptographicException)
            {
                // That store does not exist on this machine: try the next.
            }
        }
        return null;
    }

    private sealed class UnencryptedKeyRingWarning(ILogger<UnencryptedKeyRingWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            logger.LogWarning("The Data Protection key ring is stored unencrypted in the database: anyone with a copy of the database can forge "
                              + "sign-in cookies and subscription links. Set DataProtection:Certificate:Path and :Password (or :Thumbprint); see docs/security.md.");
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
