namespace CommsHub.Testing;

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails with the description when it never does.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string description, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {description}.");
            }
            await Task.Delay(50);
        }
    }
}
