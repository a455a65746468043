namespace CommsHub.BrowserTests.Infrastructure;

/// <summary>Files a person looks at after a run (screenshots), in the repository's TestResults/ (not committed).</summary>
public static class Artifacts
{
    public static string PathFor(string fileName)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CommsHub.sln")))
        {
            dir = dir.Parent;
        }
        var results = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(results);
        return Path.Combine(results, fileName);
    }
}
