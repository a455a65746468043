using System.Xml.Linq;
using CommsHub.Core.Deliveries;
using NetArchTest.Rules;

namespace CommsHub.Tests.Architecture;

/// <summary>
/// The publish path reads as one straight walk: API → outbox → bus → planner → Deliveries (claim, render,
/// send, record) → a channel adapter → the provider. These rules fail the build when an arrow points back.
/// </summary>
public sealed class ModuleBoundaryTests
{
    private static readonly System.Reflection.Assembly Core = typeof(ISendAdapter).Assembly;

    private static readonly string[] Adapters = [.. Core.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ISendAdapter).IsAssignableFrom(t))
        .Select(t => t.FullName!)];

    [Fact]
    public void Every_channel_has_an_adapter_in_its_own_channel_folder()
    {
        Assert.Equal(5, Adapters.Length);
        Assert.All(Adapters, a => Assert.StartsWith("CommsHub.Core.Channels.", a, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("CommsHub.Core.Incidents")]
    [InlineData("CommsHub.Core.StatusPage")]
    [InlineData("CommsHub.Core.Subscribers")]
    public void Incidents_status_page_and_subscribers_never_reference_a_channel_adapter(string module)
    {
        var result = Types.InAssembly(Core).That().ResideInNamespace(module)
            .ShouldNot().HaveDependencyOnAny(Adapters).GetResult();

        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void A_channel_adapter_knows_nothing_of_deliveries_storage_or_EF()
    {
        var result = Types.InAssembly(Core).That().ImplementInterface(typeof(ISendAdapter))
            .ShouldNot().HaveDependencyOnAny(
                "Microsoft.EntityFrameworkCore",
                "CommsHub.Core.Data",
                typeof(DeliveryLeases).FullName!,
                typeof(Core.Deliveries.Delivery).FullName!,
                typeof(DeliveryAttempt).FullName!,
                typeof(OutcomeBuffer).FullName!)
            .GetResult();

        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void Core_knows_no_ASP_NET_Core_hosting_type()
    {
        var result = Types.InAssembly(Core)
            .ShouldNot().HaveDependencyOnAny(
                "Microsoft.AspNetCore.Authentication",
                "Microsoft.AspNetCore.Authorization",
                "Microsoft.AspNetCore.Builder",
                "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Routing",
                "Microsoft.AspNetCore.Mvc",
                "Microsoft.AspNetCore.Components")
            .GetResult();

        Assert.True(result.IsSuccessful, Failing(result));
    }

    [Fact]
    public void The_worker_never_references_the_api()
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot(), "src", "CommsHub.Worker", "CommsHub.Worker.csproj"));
        var references = project.Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include") ?? "").ToList();

        Assert.NotEmpty(references);
        Assert.DoesNotContain(references, r => r.Contains("CommsHub.Api", StringComparison.OrdinalIgnoreCase));
    }

    private static string Failing(TestResult result) =>
        "Types that break the rule: " + string.Join(", ", result.FailingTypeNames ?? []);

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommsHub.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"No CommsHub.sln above {AppContext.BaseDirectory}.");
    }
}
