using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace CommsHub.Tests.Deploy;

/// <summary>
/// Checks an object as the API server would, strictly (kubectl's <c>--validate=strict</c>): a wrong
/// type or a field the schema does not know is an error. Built-in kinds are read into the
/// KubernetesClient models, custom resources (KEDA, RabbitMQ, CloudNativePG) against the openAPIV3
/// schemas of the CRDs kept in deploy/k8s/crds.
/// </summary>
public sealed class ManifestValidator
{
    private static readonly Dictionary<string, Type> BuiltIn = typeof(V1Deployment).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(e => e.Entity is { Kind.Length: > 0 } && !e.Entity.Kind.EndsWith("List", StringComparison.Ordinal))
        .GroupBy(e => Key(ApiVersion(e.Entity!), e.Entity!.Kind))
        .ToDictionary(g => g.Key, g => g.First().Type);

    private static readonly JsonSerializerOptions Strict = StrictOptions();

    private readonly Dictionary<string, JsonObject> _crds;

    public ManifestValidator(string crdDirectory)
    {
        _crds = [];
        foreach (var file in Directory.GetFiles(crdDirectory, "*.yaml"))
        {
            foreach (var crd in Manifests.ParseAll(File.ReadAllText(file)).Where(o => (string?)o["kind"] == "CustomResourceDefinition"))
            {
                var spec = crd["spec"]!;
                foreach (var version in spec["versions"]!.AsArray().Where(v => (bool?)v!["served"] == true))
                {
                    _crds[Key($"{spec["group"]}/{version!["name"]}", (string)spec["names"]!["kind"]!)] = version["schema"]!["openAPIV3Schema"]!.AsObject();
                }
            }
        }
    }

    public static ManifestValidator ForRepository() => new(Path.Combine(Manifests.K8sDirectory, "crds"));

    /// <summary>What is wrong with the object, one line each; empty when it would be accepted.</summary>
    public IReadOnlyList<string> Validate(JsonObject manifest)
    {
        var apiVersion = (string?)manifest["apiVersion"];
        var kind = (string?)manifest["kind"];
        var name = $"{kind}/{manifest["metadata"]?["name"]}";
        if (apiVersion is null || kind is null)
        {
            return [$"{name}: apiVersion and kind are required"];
        }
        if (BuiltIn.TryGetValue(Key(apiVersion, kind), out var model))
        {
            return ReadInto(model, manifest) is { } error ? [$"{name}: {error}"] : [];
        }
        if (_crds.TryGetValue(Key(apiVersion, kind), out var schema))
        {
            var errors = new List<string>();
            // A CRD's schema leaves metadata open: the API server reads it as ObjectMeta.
            if (ReadInto(typeof(V1ObjectMeta), manifest["metadata"] as JsonObject ?? []) is { } metadataError)
            {
                errors.Add($"metadata: {metadataError}");
            }
            var body = manifest.DeepClone().AsObject();
            body.Remove("metadata");
            body["metadata"] = new JsonObject();
            OpenApiSchema.Validate(body, schema, "", errors);
            return [.. errors.Select(e => $"{name}: {e}")];
        }
        return [$"{name}: no schema for {apiVersion} {kind} (neither a built-in kind nor a CRD in deploy/k8s/crds)"];
    }

    private static string? ReadInto(Type model, JsonObject json)
    {
        try
        {
            JsonSerializer.Deserialize(json.ToJsonString(), model, Strict);
            return null;
        }
        // The models' converters refuse a malformed quantity or time with their own exceptions.
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or OverflowException)
        {
            return e.Message;
        }
    }

    /// <summary>KubernetesClient's own converters (quantities, int-or-string, times), refusing what no model field takes.</summary>
    private static JsonSerializerOptions StrictOptions()
    {
        JsonSerializerOptions? client = null;
        KubernetesJson.AddJsonOptions(o => client = o);
        return new JsonSerializerOptions(client!)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            NumberHandling = JsonNumberHandling.Strict,
        };
    }

    private static string ApiVersion(KubernetesEntityAttribute entity) =>
        string.IsNullOrEmpty(entity.Group) ? entity.ApiVersion : $"{entity.Group}/{entity.ApiVersion}";

    private static string Key(string apiVersion, string kind) => $"{apiVersion} {kind}";
}
