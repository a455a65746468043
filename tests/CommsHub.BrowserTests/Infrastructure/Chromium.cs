using Microsoft.Playwright;

namespace CommsHub.BrowserTests.Infrastructure;

/// <summary>
/// One headless Debian chromium for the whole run; each test opens its own context (cookies,
/// storage and JavaScript setting of its own). Playwright's own browser builds cannot be
/// downloaded here, so a missing /usr/bin/chromium fails every test with the way to install it
/// rather than skipping them.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    // Playwright launches with a fresh temporary --user-data-dir of its own (it refuses one in
    // Args) and deletes it on close. The rest keeps the browser off every non-loopback address.
    private static readonly string[] Args =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-proxy-server",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium has not been started.");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"Chromium is missing: the browser tests need Debian's chromium at {ExecutablePath}. " +
                "Install it with `deploy/local-infra.sh browser` (test.sh runs it) or `apt-get install chromium`.");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Args,
            Timeout = 30_000,
        });
        // The browser tests run beside the other test projects on two cores: a page's first render, its interactive
        // circuit or a change pushed from the background can take seconds there. Waiting longer costs nothing when
        // the page is right, and an expectation that never holds still fails.
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    /// <summary>A new context whose waits and navigations give up after a loaded machine's seconds, not a fast one's.</summary>
    public async Task<IBrowserContext> NewContextAsync(BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new());
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(30_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}

/// <summary>All browser tests share the one chromium and run one after another (two cores).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Chromium>
{
    public const string Name = "Browser";
}
