namespace CommsHub.FaultTests.Harness;

/// <summary>
/// How big the matrix runs: <c>ci</c> (the default, what ./test.sh runs) or <c>soak</c>
/// (<c>COMMSHUB_FAULT_SIZE=soak</c>, what tests/CommsHub.FaultTests/soak.sh runs).
/// </summary>
public static class FaultSize
{
    public static bool Soak { get; } = string.Equals(Environment.GetEnvironmentVariable("COMMSHUB_FAULT_SIZE"), "soak", StringComparison.OrdinalIgnoreCase);

    public static string Name => Soak ? "soak" : "ci";

    public static T Pick<T>(T ci, T soak) => Soak ? soak : ci;
}
