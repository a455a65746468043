using CommsHub.Core.Common;
using CommsHub.Testing;
using Microsoft.Extensions.Caching.Memory;

namespace CommsHub.Tests.Common;

public sealed class SharedLoadsTests
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions());

    [Fact]
    public async Task Callers_that_come_while_a_load_runs_share_it_and_later_ones_get_the_cached_value()
    {
        var loads = 0;
        var release = new TaskCompletionSource();
        async Task<string?> Load()
        {
            Interlocked.Increment(ref loads);
            await release.Task;
            return "content";
        }

        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(() => _cache.GetOrLoadAsync("k", TimeSpan.FromMinutes(1), Load))).ToList();
        await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref loads) == 1), "the first caller loads");
        release.SetResult();

        Assert.All(await Task.WhenAll(callers), value => Assert.Equal("content", value));
        Assert.Equal("content", await _cache.GetOrLoadAsync("k", TimeSpan.FromMinutes(1), Load));
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task Nothing_found_and_a_failed_load_are_not_kept()
    {
        var answers = new Queue<Func<Task<string?>>>([
            () => Task.FromResult<string?>(null),
            () => throw new InvalidOperationException("the database is away"),
            () => Task.FromResult<string?>("content"),
        ]);
        Task<string?> Load() => answers.Dequeue()();

        Assert.Null(await _cache.GetOrLoadAsync("k", TimeSpan.FromMinutes(1), Load));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _cache.GetOrLoadAsync("k", TimeSpan.FromMinutes(1), Load));
        Assert.Equal("content", await _cache.GetOrLoadAsync("k", TimeSpan.FromMinutes(1), Load));
        Assert.Empty(answers);
    }
}
