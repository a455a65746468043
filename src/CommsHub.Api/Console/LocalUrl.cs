namespace CommsHub.Api.OperatorConsole;

/// <summary>Where a sign-in may send someone afterwards: a path on this host, never another site.</summary>
internal static class LocalUrl
{
    public static string OrConsole(string? returnUrl) => IsLocal(returnUrl) ? returnUrl! : "/console";

    /// <summary>"/x" but not "//host" or "/\host" (browsers read both as another origin), and no control characters.</summary>
    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl) && !url.Contains('\\');
}
