using CommsHub.Core.Deliveries;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CommsHub.Tests.Delivery;

/// <summary>Deliveries:DatabaseConcurrency bounds the senders' claims and records in one process.</summary>
public sealed class PipelineGateTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddPipelineGate();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_sender_past_the_limit_waits_until_a_slot_is_given_back()
    {
        await using var services = Build(new() { ["Deliveries:DatabaseConcurrency"] = "2" });
        services.GetRequiredService<IStartupValidator>().Validate();
        var gate = services.GetRequiredService<PipelineGate>();

        var first = await gate.EnterAsync(CancellationToken.None);
        using var second = await gate.EnterAsync(CancellationToken.None);
        var third = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);

        first.Dispose();
        using var entered = await third.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(third.IsCompletedSuccessfully);
    }

    [Fact]
    public void Unset_it_is_the_processor_count_and_at_least_two()
    {
        using var services = Build([]);
        services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(Math.Max(2, Environment.ProcessorCount), services.GetRequiredService<IOptions<PipelineOptions>>().Value.EffectiveDatabaseConcurrency);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public void Zero_or_less_stops_the_host_with_the_setting_named(string value)
    {
        using var services = Build(new() { ["Deliveries:DatabaseConcurrency"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("Deliveries:DatabaseConcurrency must be a positive number", error.Message);
    }
}
