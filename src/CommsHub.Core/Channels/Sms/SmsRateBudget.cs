using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CommsHub.Core.Channels.Sms;

/// <summary>
/// The sender's messages-per-second budget, shared by every SMS batch in this process: a token
/// bucket refilled <see cref="SmsOptions.MessagesPerSecond"/> times a second. Sends wait for a
/// token rather than provoke Twilio's 429 (error 20429).
/// </summary>
public sealed class SmsRateBudget : IDisposable
{
    private readonly TokenBucketRateLimiter _bucket;

    public SmsRateBudget(IOptions<SmsOptions> options)
    {
        var perSecond = options.Value.MessagesPerSecond;
        var tokensPerPeriod = Math.Max(1, (int)Math.Round(perSecond));
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokensPerPeriod,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / perSecond),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var lease = await _bucket.AcquireAsync(1, cancellationToken);
    }

    public void Dispose() => _bucket.Dispose();
}
