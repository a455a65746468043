namespace CommsHub.Core.Hosting;

/// <summary>
/// The certificate that encrypts the Data Protection key ring at rest (it sits in the database,
/// beside the data it protects), and the earlier ones kept to read keys written before a rotation.
/// </summary>
public sealed class DataProtectionKeyOptions
{
    public const string Section = "DataProtection";

    /// <summary>Encrypts new keys and reads them back. None: keys are stored unencrypted (a warning at start).</summary>
    public CertificateSource? Certificate { get; set; }

    /// <summary>Certificates of earlier rotations: only read keys encrypted with them.</summary>
    public List<CertificateSource> PreviousCertificates { get; set; } = [];
}

/// <summary>A certificate with its private key: a PKCS#12 file (<c>.pfx</c>) and its password, or a thumbprint in the certificate store.</summary>
public sealed class CertificateSource
{
    public string? Path { get; set; }
    public string? Password { get; set; }
    public string? Thumbprint { get; set; }

    public bool IsSet => !string.IsNullOrWhiteSpace(Path) || !string.IsNullOrWhiteSpace(Thumbprint);
}
