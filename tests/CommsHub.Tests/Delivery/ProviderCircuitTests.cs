using System.ComponentModel.DataAnnotations;
using CommsHub.Core.Channels;
using CommsHub.Core.Channels.Email;
using CommsHub.Core.Channels.Resilience;
using CommsHub.Core.Common;
using CommsHub.Core.Deliveries;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace CommsHub.Tests.Delivery;

/// <summary>The circuit and Retry-After hold every provider send goes through, on a fake clock.</summary>
public sealed class ProviderCircuitTests
{
    private static readonly SendResult Sent = new(DeliveryStatus.Sent, "sendgrid", HttpStatus: 202);
    private static readonly SendResult Outage = new(DeliveryStatus.Queued, "sendgrid", HttpStatus: 503, Transient: true);
    private static readonly SendResult Refused = new(DeliveryStatus.Failed, "sendgrid", HttpStatus: 400);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-03-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private int _calls;

    private ProviderCircuit Circuit(int minimumThroughput = 3) => new("sendgrid", "SendGrid", new CircuitBreakerOptions
    {
        MinimumThroughput = minimumThroughput,
        FailureRatio = 0.5,
        SamplingDuration = TimeSpan.FromMinutes(1),
        BreakDuration = TimeSpan.FromSeconds(30),
    }, _time, NullLogger.Instance);

    private Task<SendResult> Send(ProviderCircuit circuit, SendResult answer) => circuit.SendAsync(_ =>
    {
        _calls++;
        return Task.FromResult(answer);
    }, default);

    [Fact]
    public async Task A_run_of_outages_opens_the_circuit_sends_are_held_without_a_call_and_a_good_probe_closes_it()
    {
        var circuit = Circuit();
        for (var i = 0; i < 3; i++)
        {
            Assert.Same(Outage, await Send(circuit, Outage));
        }
        Assert.Equal(CircuitState.Open, circuit.State);

        var held = await Send(circuit, Sent);
        Assert.Equal(3, _calls);
        Assert.True(held.Held);
        Assert.Equal((DeliveryStatus.Queued, true, TimeSpan.FromSeconds(30)), (held.Status, held.Transient, held.RetryAfter));

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Same(Sent, await Send(circuit, Sent));
        Assert.Equal((4, CircuitState.Closed), (_calls, circuit.State));
    }

    [Fact]
    public async Task A_failed_probe_opens_the_circuit_again()
    {
        var circuit = Circuit(minimumThroughput: 2);
        await Send(circuit, Outage);
        await Send(circuit, Outage);
        _time.Advance(TimeSpan.FromSeconds(30));

        await Send(circuit, Outage);

        Assert.Equal((3, CircuitState.Open), (_calls, circuit.State));
        Assert.True((await Send(circuit, Sent)).Held);
    }

    [Fact]
    public async Task Permanent_refusals_and_429s_are_answers_not_outages_and_never_open_it()
    {
        var circuit = Circuit(minimumThroughput: 2);
        var throttled = new SendResult(DeliveryStatus.Queued, "twilio", HttpStatus: 429, Transient: true, ErrorCode: "20429");
        for (var i = 0; i < 5; i++)
        {
            await Send(circuit, Refused);
            await Send(circuit, throttled);
        }
        Assert.Equal((10, CircuitState.Closed), (_calls, circuit.State));
    }

    [Fact]
    public async Task A_Retry_After_holds_every_send_until_it_has_passed_with_the_retry_spread_added()
    {
        var circuit = Circuit();
        var throttled = new SendResult(DeliveryStatus.Queued, "sendgrid", HttpStatus: 429, Transient: true, RetryAfter: TimeSpan.FromSeconds(7));
        await Send(circuit, throttled);

        _time.Advance(TimeSpan.FromSeconds(7));
        var held = await Send(circuit, Sent);
        Assert.Equal(1, _calls);
        Assert.True(held.Held);
        Assert.Equal(RetryPolicy.RetryAfterSpread, held.RetryAfter);

        _time.Advance(RetryPolicy.RetryAfterSpread);
        Assert.Same(Sent, await Send(circuit, Sent));
        Assert.Equal(2, _calls);
    }

    [Fact]
    public async Task A_permanent_refusal_with_a_Retry_After_holds_nothing()
    {
        var circuit = Circuit();
        await Send(circuit, Refused with { RetryAfter = TimeSpan.FromMinutes(5) });
        Assert.Same(Sent, await Send(circuit, Sent));
    }

    [Fact]
    public void Each_webhook_origin_has_its_own_circuit_and_credentials_stay_out_of_its_name()
    {
        var circuits = new TargetCircuits("webhook", new CircuitBreakerOptions(), _time, NullLogger.Instance);

        Assert.Same(circuits.For(new Uri("https://hooks.example/a")), circuits.For(new Uri("https://HOOKS.example:443/b?x=1")));
        Assert.NotSame(circuits.For(new Uri("https://hooks.example/a")), circuits.For(new Uri("https://hooks.example:8443/a")));
        Assert.NotSame(circuits.For(new Uri("https://hooks.example/a")), circuits.For(new Uri("http://hooks.example/a")));
        Assert.Equal("https://hooks.example", TargetCircuits.Origin(new Uri("https://user:secret@hooks.example/a")));
    }

    [Theory]
    [InlineData(0.0, 5, "00:01:00", "00:00:30", "Channels:Email:SendGrid:CircuitBreaker:FailureRatio '0' must be above 0 and at most 1")]
    [InlineData(1.5, 5, "00:01:00", "00:00:30", "Channels:Email:SendGrid:CircuitBreaker:FailureRatio '1.5' must be above 0 and at most 1")]
    [InlineData(0.5, 1, "00:01:00", "00:00:30", "Channels:Email:SendGrid:CircuitBreaker:MinimumThroughput '1' must be at least 2")]
    [InlineData(0.5, 5, "00:00:00.1", "00:00:30", "Channels:Email:SendGrid:CircuitBreaker:SamplingDuration '00:00:00.1000000' must be at least")]
    [InlineData(0.5, 5, "00:01:00", "00:00:00", "Channels:Email:SendGrid:CircuitBreaker:BreakDuration '00:00:00' must be between")]
    public void Circuit_settings_outside_what_Polly_accepts_are_refused_at_start_naming_the_key(
        double ratio, int throughput, string sampling, string breakDuration, string message)
    {
        var options = new EmailOptions
        {
            SendGrid = new SendGridOptions
            {
                CircuitBreaker = new CircuitBreakerOptions
                {
                    FailureRatio = ratio, MinimumThroughput = throughput,
                    SamplingDuration = TimeSpan.Parse(sampling, System.Globalization.CultureInfo.InvariantCulture),
                    BreakDuration = TimeSpan.Parse(breakDuration, System.Globalization.CultureInfo.InvariantCulture),
                },
            },
        };
        var error = Assert.Single(options.Validate(new ValidationContext(options)));
        Assert.StartsWith(message, error.ErrorMessage);
    }

    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new EmailOptions();
        Assert.Empty(options.Validate(new ValidationContext(options)));
    }
}
