using CommsHub.TestIdentityProvider;

namespace CommsHub.Tests.Api;

/// <summary>One test OpenID Connect provider on loopback for a test class; each test registers its app as a client.</summary>
public sealed class IdentityProviderFixture : IAsyncLifetime
{
    public TestIdentityProvider.TestIdentityProvider Provider { get; private set; } = null!;

    public async Task InitializeAsync() => Provider = await TestIdentityProvider.TestIdentityProvider.StartAsync();

    public async Task DisposeAsync() => await Provider.DisposeAsync();
}
