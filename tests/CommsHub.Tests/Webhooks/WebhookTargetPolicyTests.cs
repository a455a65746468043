using CommsHub.Core.Channels.Webhook;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Webhooks;

// Every URL here is an IP literal, a metadata name, or a localhost name: none of them reaches a DNS server.
public sealed class WebhookTargetPolicyTests
{
    public static TheoryData<string, string> NonPublicTargets => new()
    {
        { "https://127.0.0.1/hook", "private or loopback address (127.0.0.1)" },
        { "https://127.255.255.254/hook", "private or loopback address (127.255.255.254)" },
        { "https://[::1]/hook", "private or loopback address (::1)" },
        { "https://0.0.0.0/hook", "unspecified address" },
        { "https://[::]/hook", "unspecified address" },
        { "https://10.1.2.3/hook", "private or loopback address (10.1.2.3)" },
        { "https://172.16.0.1/hook", "private or loopback address (172.16.0.1)" },
        { "https://172.31.255.255/hook", "private or loopback address (172.31.255.255)" },
        { "https://192.168.1.1/hook", "private or loopback address (192.168.1.1)" },
        { "https://[fc00::1]/hook", "private or loopback address (fc00::1)" },
        { "https://[fd12:3456::1]/hook", "private or loopback address (fd12:3456::1)" },
        { "https://169.254.1.1/hook", "link-local address (169.254.1.1)" },
        { "https://[fe80::1]/hook", "link-local address (fe80::1)" },
        { "https://100.64.0.1/hook", "carrier-grade NAT (shared) address (100.64.0.1)" },
        { "https://100.127.255.254/hook", "carrier-grade NAT (shared) address (100.127.255.254)" },
        { "https://224.0.0.1/hook", "multicast address (224.0.0.1)" },
        { "https://[ff02::1]/hook", "multicast address (ff02::1)" },
        { "https://255.255.255.255/hook", "broadcast address (255.255.255.255)" },
        { "https://240.0.0.1/hook", "reserved or special-purpose address (240.0.0.1)" },
        { "https://192.0.2.10/hook", "reserved or special-purpose address (192.0.2.10)" },
        // IPv4-mapped and IPv4-compatible IPv6 forms are judged by the IPv4 address they carry.
        { "https://[::ffff:127.0.0.1]/hook", "private or loopback address (127.0.0.1)" },
        { "https://[0:0:0:0:0:ffff:7f00:1]/hook", "private or loopback address (127.0.0.1)" },
        { "https://[::ffff:10.0.0.1]/hook", "private or loopback address (10.0.0.1)" },
        { "https://[::ffff:192.168.0.1]/hook", "private or loopback address (192.168.0.1)" },
        { "https://[::127.0.0.1]/hook", "private or loopback address (127.0.0.1)" },
        { "https://[::10.0.0.1]/hook", "private or loopback address (10.0.0.1)" },
        // Numeric forms resolvers accept for 127.0.0.1.
        { "https://2130706433/hook", "private or loopback address (127.0.0.1)" },
        { "https://0x7f000001/hook", "private or loopback address (127.0.0.1)" },
        { "https://0177.0.0.1/hook", "private or loopback address (127.0.0.1)" },
        { "https://017700000001/hook", "private or loopback address (127.0.0.1)" },
        { "https://127.1/hook", "private or loopback address (127.0.0.1)" },
        { "https://0x7f.1/hook", "private or loopback address (127.0.0.1)" },
        { "https://0x7F.0x0.0x0.0x1/hook", "private or loopback address (127.0.0.1)" },
        { "https://127.000.000.001/hook", "private or loopback address (127.0.0.1)" },
        { "https://0/hook", "unspecified address" },
        // Look-alike characters that IDNA maps onto an IP literal.
        { "https://127\u30020\u30020\u30021/hook", "private or loopback address (127.0.0.1)" },
        { "https://\uFF10x7f.1/hook", "private or loopback address (127.0.0.1)" },
        { "https://localhost/hook", "private or loopback address (localhost)" },
        { "https://LOCALHOST./hook", "private or loopback address (localhost.)" },
        { "https://db.localhost/hook", "private or loopback address (db.localhost)" },
    };

    public static TheoryData<string, string> MetadataTargets => new()
    {
        { "https://169.254.169.254/latest/meta-data/", "cloud metadata service address (169.254.169.254)" },
        { "https://[::ffff:169.254.169.254]/latest/meta-data/", "cloud metadata service address (169.254.169.254)" },
        { "https://[fd00:ec2::254]/latest/meta-data/", "cloud metadata service address (fd00:ec2::254)" },
        { "https://168.63.129.16/machine", "cloud metadata service address (168.63.129.16)" },
        { "https://100.100.100.200/latest/meta-data/", "cloud metadata service address (100.100.100.200)" },
        { "https://metadata.google.internal/computeMetadata/v1/", "cloud metadata service (metadata.google.internal)" },
        { "https://Metadata.Google.Internal./computeMetadata/v1/", "cloud metadata service (metadata.google.internal.)" },
        { "https://metadata/computeMetadata/v1/", "cloud metadata service (metadata)" },
        { "https://metadata.goog/computeMetadata/v1/", "cloud metadata service (metadata.goog)" },
        { "https://instance-data/latest/meta-data/", "cloud metadata service (instance-data)" },
    };

    [Theory]
    [MemberData(nameof(NonPublicTargets))]
    public async Task Non_public_targets_are_refused(string url, string why)
    {
        var check = await Policy(allowPrivateTargets: false).CheckAsync(url, CancellationToken.None);

        Assert.False(check.Ok);
        Assert.Null(check.NormalizedUrl);
        Assert.StartsWith("webhookUrl points to ", check.Error);
        Assert.Contains(why, check.Error);
        Assert.EndsWith(", which is not allowed.", check.Error);
    }

    [Theory]
    [MemberData(nameof(NonPublicTargets))]
    public async Task Non_public_targets_are_accepted_when_private_targets_are_allowed(string url, string why)
    {
        _ = why;
        if (url.Contains("localhost", StringComparison.OrdinalIgnoreCase) && url != "https://localhost/hook")
        {
            return; // only plain "localhost" is answered by /etc/hosts; the others would query a DNS server
        }

        var check = await Policy(allowPrivateTargets: true).CheckAsync(url, CancellationToken.None);

        Assert.True(check.Ok, check.Error);
        Assert.NotNull(check.NormalizedUrl);
    }

    [Theory]
    [MemberData(nameof(MetadataTargets))]
    public async Task Cloud_metadata_targets_are_refused_even_when_private_targets_are_allowed(string url, string why)
    {
        foreach (var allow in new[] { false, true })
        {
            var check = await Policy(allow).CheckAsync(url, CancellationToken.None);

            Assert.False(check.Ok);
            Assert.Contains(why, check.Error);
            Assert.EndsWith(", which is not allowed.", check.Error);
        }
    }

    [Theory]
    [InlineData("https://93.184.216.34/hook", "https://93.184.216.34/hook")]
    [InlineData("HTTPS://93.184.216.34:443/a b?x=1", "https://93.184.216.34/a%20b?x=1")]
    [InlineData("https://93.184.216.34:8443/hook", "https://93.184.216.34:8443/hook")]
    [InlineData("https://[2606:4700:4700::1111]/hook", "https://[2606:4700:4700::1111]/hook")]
    [InlineData("https://[::ffff:93.184.216.34]/hook", "https://[::ffff:93.184.216.34]/hook")]
    [InlineData("  https://93.184.216.34/hook  ", "https://93.184.216.34/hook")]
    public async Task Public_ip_literals_are_accepted_without_a_lookup(string url, string normalized)
    {
        var check = await Policy(allowPrivateTargets: false).CheckAsync(url, CancellationToken.None);

        Assert.True(check.Ok, check.Error);
        Assert.Equal(normalized, check.NormalizedUrl);
        Assert.Null(check.Error);
    }

    [Fact]
    public async Task Plain_http_is_refused_unless_private_targets_are_allowed()
    {
        const string url = "http://93.184.216.34/hook";

        var refused = await Policy(allowPrivateTargets: false).CheckAsync(url, CancellationToken.None);
        var allowed = await Policy(allowPrivateTargets: true).CheckAsync(url, CancellationToken.None);

        Assert.Equal(new WebhookTargetCheck(false, null, "webhookUrl must use https."), refused);
        Assert.Equal(new WebhookTargetCheck(true, url, null), allowed);
    }

    [Theory]
    [InlineData("ftp://93.184.216.34/hook")]
    [InlineData("ws://93.184.216.34/hook")]
    [InlineData("gopher://93.184.216.34/hook")]
    [InlineData("javascript:alert(1)")]
    [InlineData("mailto:ops@example.com")]
    public async Task Other_schemes_are_refused_even_when_private_targets_are_allowed(string url)
    {
        var check = await Policy(allowPrivateTargets: true).CheckAsync(url, CancellationToken.None);

        Assert.Equal("webhookUrl must use https or http.", check.Error);
    }

    [Theory]
    [InlineData("https://user:secret@93.184.216.34/hook")]
    [InlineData("https://user@93.184.216.34/hook")]
    [InlineData("https://@93.184.216.34/hook")]
    [InlineData("https://user:secret@localhost/hook")]
    public async Task User_info_is_refused(string url)
    {
        foreach (var allow in new[] { false, true })
        {
            var check = await Policy(allow).CheckAsync(url, CancellationToken.None);

            Assert.Equal("webhookUrl must not contain a user name or password.", check.Error);
        }
    }

    [Theory]
    [InlineData("https://93.184.216.34/hook#section")]
    [InlineData("https://93.184.216.34/hook#")]
    public async Task Fragments_are_refused(string url)
    {
        var check = await Policy(allowPrivateTargets: false).CheckAsync(url, CancellationToken.None);

        Assert.Equal("webhookUrl must not contain a fragment (#...): it is never sent to the server.", check.Error);
    }

    [Theory]
    [InlineData(null, "webhookUrl is required.")]
    [InlineData("", "webhookUrl is required.")]
    [InlineData("   ", "webhookUrl is required.")]
    [InlineData("/hooks/commshub", "webhookUrl must be an absolute URL such as https://hooks.example.com/commshub.")]
    [InlineData("hooks.example.com/commshub", "webhookUrl must be an absolute URL such as https://hooks.example.com/commshub.")]
    [InlineData("https://93.184.216.34:99999/hook", "webhookUrl must be an absolute URL such as https://hooks.example.com/commshub.")]
    public async Task Missing_and_relative_urls_are_refused(string? url, string error)
    {
        var check = await Policy(allowPrivateTargets: false).CheckAsync(url, CancellationToken.None);

        Assert.Equal(new WebhookTargetCheck(false, null, error), check);
    }

    [Fact]
    public async Task Urls_longer_than_2048_characters_are_refused()
    {
        const string prefix = "https://93.184.216.34/";
        var longest = prefix + new string('a', 2048 - prefix.Length);
        var policy = Policy(allowPrivateTargets: false);

        var fits = await policy.CheckAsync(longest, CancellationToken.None);
        var tooLong = await policy.CheckAsync(longest + "a", CancellationToken.None);

        Assert.True(fits.Ok, fits.Error);
        Assert.Equal("webhookUrl must be at most 2048 characters.", tooLong.Error);
    }

    [Theory]
    [InlineData("https://999.1.1.1/hook")]
    [InlineData("https://4294967296/hook")]
    [InlineData("https://0x100000000/hook")]
    [InlineData("https://1.2.3.4.5/hook")]
    public async Task Numeric_hosts_that_are_not_ip_addresses_are_refused_without_a_lookup(string url)
    {
        var check = await Policy(allowPrivateTargets: true).CheckAsync(url, CancellationToken.None);

        Assert.False(check.Ok);
        Assert.EndsWith("is neither a valid IP address nor a host name.", check.Error);
    }

    private static WebhookTargetPolicy Policy(bool allowPrivateTargets) =>
        new(Options.Create(new WebhookOptions { AllowPrivateTargets = allowPrivateTargets }));
}
