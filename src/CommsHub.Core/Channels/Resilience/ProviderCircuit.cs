using System.Diagnostics;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace CommsHub.Core.Channels.Resilience;

/// <summary>
/// Guards the calls to one provider (or one webhook target): a Polly circuit breaker over the
/// outcomes, and a hold while the provider's Retry-After runs. Neither retries anything: a call it
/// stops is answered with <see cref="SendResult.Hold"/>, and the caller gives the delivery back untried
/// to its <c>next_attempt_at</c> schedule. Retrying a SendGrid or Twilio POST here could send a message twice.
/// </summary>
public sealed class ProviderCircuit
{
    /// <summary>How long a send that met the circuit half-open waits for the probe's answer, and is deferred when there is none.</summary>
    internal static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(2);

    private readonly string _provider;
    private readonly string _name;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<SendResult> _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private long _holdUntilTicks;

    /// <param name="provider">The provider named on the results (sendgrid, twilio, webhook).</param>
    /// <param name="name">What the logs call this circuit (the provider, or a webhook target's origin).</param>
    public ProviderCircuit(string provider, string name, CircuitBreakerOptions options, TimeProvider time, ILogger logger)
    {
        _provider = provider;
        _name = name;
        _time = time;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder<SendResult> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<SendResult>
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = _state,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { } result && IsOutage(result)),
                OnOpened = args =>
                {
                    _logger.LogWarning("Circuit for {Circuit} opened for {BreakDuration}: sends are deferred, not attempted. Last failure: {Error}",
                        _name, args.BreakDuration, args.Outcome.Result?.Error ?? args.Outcome.Exception?.Message);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    _logger.LogInformation("Circuit for {Circuit} half-open: the next send is a probe", _name);
                    return default;
                },
                OnClosed = _ =>
                {
                    _logger.LogWarning("Circuit for {Circuit} closed: the provider answered again, sending resumes", _name);
                    return default;
                },
            })
            .Build();
        CircuitRegistry.Add(this, provider);
    }

    public CircuitState State => _state.CircuitState;

    /// <summary>
    /// A failure that says the provider is unwell: no answer, no connection, or a 5xx/408. A 429 is the
    /// provider working as meant (its Retry-After holds us off instead); a permanent refusal is our request's fault.
    /// </summary>
    public static bool IsOutage(SendResult result) =>
        !result.Accepted && result.Transient && !result.Held && result.HttpStatus != 429 && result.ErrorCode != "20429";

    public async Task<SendResult> SendAsync(Func<CancellationToken, Task<SendResult>> send, CancellationToken cancellationToken)
    {
        using var activity = CommsHubMetrics.Source.StartActivity($"{_provider} request", ActivityKind.Client);
        activity?.SetTag("commshub.provider", _provider);
        var started = Stopwatch.GetTimestamp();
        var result = await GuardedSendAsync(send, cancellationToken);
        var outcome = result.Held ? "held" : result.Accepted ? "accepted" : result.Transient ? "transient" : "rejected";
        CommsHubMetrics.ProviderRequest(_provider, outcome, Stopwatch.GetElapsedTime(started));
        activity?.SetTag("commshub.outcome", outcome);
        if (result.HttpStatus is { } status)
        {
            activity?.SetTag("http.response.status_code", status);
        }
        if (outcome is "transient" or "rejected")
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.ErrorCode);
        }
        return result;
    }

    private async Task<SendResult> GuardedSendAsync(Func<CancellationToken, Task<SendResult>> send, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var holdUntil = new DateTimeOffset(Interlocked.Read(ref _holdUntilTicks), TimeSpan.Zero);
        if (holdUntil > now)
        {
            return SendResult.Hold(_provider, holdUntil - now, $"{_name} asked us to wait (Retry-After) until {holdUntil:O}.");
        }

        SendResult result;
        try
        {
            result = await _pipeline.ExecuteAsync(static async (send, ct) => await send(ct), send, cancellationToken);
        }
        catch (BrokenCircuitException ex)
        {
            if (State == CircuitState.HalfOpen && await ProbeAnsweredAsync(cancellationToken))
            {
                // The probe answered while this send waited: go on as the circuit now says (closed: send; open: held).
                return await GuardedSendAsync(send, cancellationToken);
            }
            var wait = ex.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero ? retryAfter : ProbeWait;
            return SendResult.Hold(_provider, wait, $"The circuit for {_name} is open: not called.");
        }

        if (result.Transient && !result.Accepted && result.RetryAfter is { } asked && asked > TimeSpan.Zero)
        {
            // Every call to this provider waits, not only this delivery's: the next one would meet the same limit.
            Hold(_time.GetUtcNow() + asked + RetryPolicy.RetryAfterSpread);
        }
        return result;
    }

    /// <summary>
    /// Half-open lets one probe through and turns the rest away. What a break deferred all comes back at its
    /// end together, so rather than defer those again, each waits (up to <see cref="ProbeWait"/>) for the probe's answer.
    /// </summary>
    private async Task<bool> ProbeAnsweredAsync(CancellationToken cancellationToken)
    {
        var until = _time.GetUtcNow() + ProbeWait;
        while (State == CircuitState.HalfOpen)
        {
            if (_time.GetUtcNow() >= until)
            {
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
        }
        return true;
    }

    private void Hold(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _holdUntilTicks);
            if (current >= ticks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _holdUntilTicks, ticks, current) != current);
        _logger.LogInformation("{Circuit} asked us to wait until {Until:O} (Retry-After): its sends are deferred until then", _name, until);
    }
}
