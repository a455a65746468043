namespace CommsHub.Core.Hosting;

public sealed class CommsHubOptions
{
    /// <summary>Absolute base URL used in every link CommsHub sends. Defaults to the first listening address.</summary>
    public string PublicBaseUrl { get; set; } = "";

    /// <summary>The name shown in messages and on the status page.</summary>
    public string PageName { get; set; } = "Status";

    public string Link(string path) => PublicBaseUrl.TrimEnd('/') + "/" + path.TrimStart('/');
}
