using System.Globalization;

namespace CommsHub.Core.Channels.Email;

/// <summary>
/// Names one SendGrid request: the update (or message), the batch and when the request was marked in flight,
/// which is stored on its deliveries. A retry of the same batch is a new request with a new key.
/// </summary>
public static class EmailBatchKey
{
    public static string For(Guid updateId, int batch, DateTimeOffset inFlightAt) =>
        string.Create(CultureInfo.InvariantCulture, $"{updateId:N}-{batch}-{inFlightAt.ToUnixTimeMilliseconds()}");
}
