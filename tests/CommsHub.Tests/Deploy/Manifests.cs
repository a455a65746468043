using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CommsHub.Tests.Deploy;

/// <summary>deploy/k8s rendered by <c>kubectl kustomize</c>, as the JSON objects the API server would receive.</summary>
public static partial class Manifests
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string K8sDirectory => Path.Combine(RepositoryRoot, "deploy", "k8s");

    public static IReadOnlyList<string> Overlays() =>
        [.. Directory.GetDirectories(Path.Combine(K8sDirectory, "overlays")).Select(Path.GetFileName).Order()!];

    /// <summary>The overlay's objects, rendered by the kustomize built into kubectl.</summary>
    public static IReadOnlyList<JsonObject> Render(string overlay) =>
        ParseAll(Kubectl("kustomize", Path.Combine(K8sDirectory, "overlays", overlay)));

    public static IReadOnlyList<JsonObject> ParseAll(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()];
    }

    public static JsonObject Find(this IEnumerable<JsonObject> objects, string kind, string name) =>
        objects.Single(o => (string?)o["kind"] == kind && ((string?)o["metadata"]?["name"])?.StartsWith(name, StringComparison.Ordinal) == true);

    public static string Describe(JsonObject o) => $"{o["kind"]}/{o["metadata"]?["name"]}";

    /// <summary>
    /// YAML as the API server reads it (sigs.k8s.io/yaml): a quoted scalar is a string; a plain one is
    /// null, a boolean or a number when it reads as one, else a string. So <c>replicas: "2"</c> is a string.
    /// </summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidOperationException($"Unsupported YAML node {node.NodeType} at {node.Start}."),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(value);
        }
        if (value is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (Boolean().IsMatch(value))
        {
            return JsonValue.Create(value.ToUpperInvariant() is "TRUE" or "YES" or "ON" or "Y");
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (Float().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^(true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N)$")]
    private static partial Regex Boolean();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    /// <summary>Runs kubectl; fails with what to do when it is missing, rather than skipping the check.</summary>
    private static string Kubectl(params string[] arguments)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "kubectl")).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "kubectl is not on PATH, so the Kubernetes manifests in deploy/k8s cannot be rendered and checked. "
                + "Install kubectl 1.27 or later (it embeds kustomize): see docs/operations.md, \"Deploying on Kubernetes\".");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', arguments)} did not finish within 2 minutes.");
        }
        return process.ExitCode == 0
            ? output.Result
            : throw new InvalidOperationException($"kubectl {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CommsHub.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"No CommsHub.sln above {AppContext.BaseDirectory}.");
    }
}
