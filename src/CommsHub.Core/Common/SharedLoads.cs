using Microsoft.Extensions.Caching.Memory;

namespace CommsHub.Core.Common;

/// <summary>
/// A value built once per key however many ask for it at once: the batches of one update start together on
/// every worker, and each used to build the same content from the database before the first had cached it.
/// The first caller's load is shared with those that come while it runs, then cached for <c>lifetime</c>. A load
/// that fails or finds nothing (null) is not kept: the next caller loads again.
/// </summary>
public static class SharedLoads
{
    // IMemoryCache.GetOrCreate looks, then adds: two callers at once would each start a load. The lock is held only to
    // find or add the entry, never while a load runs.
    private static readonly Lock Gate = new();

    /// <param name="load">Runs without the callers' cancellation (others may be waiting for it); keep it short.</param>
    public static async Task<T?> GetOrLoadAsync<T>(this IMemoryCache cache, object key, TimeSpan lifetime, Func<Task<T?>> load)
        where T : class
    {
        Lazy<Task<T?>> shared;
        lock (Gate)
        {
            shared = cache.GetOrCreate(key, entry =>
            {
                entry.AbsoluteExpirationRelativeToNow = lifetime;
                return new Lazy<Task<T?>>(load, LazyThreadSafetyMode.ExecutionAndPublication);
            })!;
        }
        T? value;
        try
        {
            value = await shared.Value;
        }
        catch
        {
            Forget(cache, key, shared);
            throw;
        }
        if (value is null)
        {
            Forget(cache, key, shared);
        }
        return value;
    }

    // Only the entry this caller saw: a newer one (a later load) stays.
    private static void Forget<T>(IMemoryCache cache, object key, Lazy<Task<T?>> shared) where T : class
    {
        lock (Gate)
        {
            if (cache.TryGetValue(key, out Lazy<Task<T?>>? current) && ReferenceEquals(current, shared))
            {
                cache.Remove(key);
            }
        }
    }
}
