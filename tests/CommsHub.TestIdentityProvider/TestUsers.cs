namespace CommsHub.TestIdentityProvider;

/// <summary>A person the provider knows, with the claims it vouches for.</summary>
public sealed record TestUser(string UserName, string Subject, string Email, string Name, IReadOnlyList<string> Roles);

/// <summary>The people of the test organisation, one per CommsHub role and one nobody gave a role.</summary>
public static class TestUsers
{
    public static readonly TestUser Alice = new("alice", "u-alice-1", "Alice.Admin@Example.test", "Alice Admin", ["admin"]);

    /// <summary>Two values, one unknown to CommsHub: the claim travels as a JSON array.</summary>
    public static readonly TestUser Rob = new("rob", "u-rob-2", "rob@example.test", "Rob Responder", ["responder", "billing"]);

    public static readonly TestUser Vera = new("vera", "u-vera-3", "vera@example.test", "Vera Viewer", ["viewer"]);

    /// <summary>Known to the provider, but nobody gave her a CommsHub role.</summary>
    public static readonly TestUser Nora = new("nora", "u-nora-4", "nora@example.test", "Nora Norole", []);

    public static readonly IReadOnlyList<TestUser> All = [Alice, Rob, Vera, Nora];

    public static TestUser? Find(string? userName) =>
        All.FirstOrDefault(u => string.Equals(u.UserName, userName?.Trim(), StringComparison.OrdinalIgnoreCase));
}
