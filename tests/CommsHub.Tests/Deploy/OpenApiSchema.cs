using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CommsHub.Tests.Deploy;

/// <summary>
/// The part of OpenAPI v3 (Kubernetes structural schemas) that the CRDs in deploy/k8s/crds use,
/// applied strictly: a field the schema does not name is an error (the API server would prune it
/// silently, so a misspelt field would be lost without a word). CEL rules
/// (<c>x-kubernetes-validations</c>) are the operator's API server's to check, not ours.
/// </summary>
public static class OpenApiSchema
{
    public static void Validate(JsonNode? node, JsonObject schema, string path, List<string> errors)
    {
        if (node is null)
        {
            // An explicit null is dropped by the API server, as an absent field.
            return;
        }
        var at = path.Length == 0 ? "(root)" : path;
        if ((bool?)schema["x-kubernetes-int-or-string"] == true)
        {
            if (Kind(node) is not ("integer" or "string"))
            {
                errors.Add($"{at}: must be an integer or a string, not {Kind(node)}");
                return;
            }
        }
        else if (schema["anyOf"] is JsonArray anyOf && !anyOf.Any(b => Passes(node, b!.AsObject(), path)))
        {
            errors.Add($"{at}: matches none of its allowed forms");
            return;
        }
        if ((string?)schema["type"] is { } type && !IsOfType(node, type))
        {
            errors.Add($"{at}: must be {type}, not {Kind(node)} ({Shown(node)})");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            errors.Add($"{at}: {Shown(node)} is not one of {allowed.ToJsonString()}");
        }
        switch (node)
        {
            case JsonObject o:
                Object(o, schema, path, errors);
                break;
            case JsonArray a:
                if (Number(schema["minItems"]) is { } minItems && a.Count < minItems)
                {
                    errors.Add($"{at}: needs at least {minItems} items");
                }
                if (Number(schema["maxItems"]) is { } maxItems && a.Count > maxItems)
                {
                    errors.Add($"{at}: takes at most {maxItems} items");
                }
                if (schema["items"] is JsonObject items)
                {
                    for (var i = 0; i < a.Count; i++)
                    {
                        Validate(a[i], items, $"{path}[{i}]", errors);
                    }
                }
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var text = v.GetValue<string>();
                if ((string?)schema["pattern"] is { } pattern && !Regex.IsMatch(text, pattern))
                {
                    errors.Add($"{at}: '{text}' does not match {pattern}");
                }
                if (Number(schema["minLength"]) is { } minLength && text.Length < minLength)
                {
                    errors.Add($"{at}: shorter than {minLength}");
                }
                if (Number(schema["maxLength"]) is { } maxLength && text.Length > maxLength)
                {
                    errors.Add($"{at}: longer than {maxLength}");
                }
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var number = Number(v)!.Value;
                if (Number(schema["minimum"]) is { } minimum && number < minimum)
                {
                    errors.Add($"{at}: below the minimum {minimum}");
                }
                if (Number(schema["maximum"]) is { } maximum && number > maximum)
                {
                    errors.Add($"{at}: above the maximum {maximum}");
                }
                if ((string?)schema["format"] == "int32" && number is < int.MinValue or > int.MaxValue)
                {
                    errors.Add($"{at}: out of the int32 range");
                }
                break;
        }
    }

    private static void Object(JsonObject o, JsonObject schema, string path, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var open = (bool?)schema["x-kubernetes-preserve-unknown-fields"] == true || (additional is JsonValue b && b.GetValue<bool>());
        foreach (var (name, value) in o)
        {
            var child = path.Length == 0 ? name : $"{path}.{name}";
            if (properties?[name] is JsonObject property)
            {
                Validate(value, property, child, errors);
            }
            else if (additional is JsonObject valueSchema)
            {
                Validate(value, valueSchema, child, errors);
            }
            else if (!open)
            {
                errors.Add($"{child}: unknown field \"{name}\"");
            }
        }
        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => (string)r!))
        {
            if (!o.ContainsKey(required))
            {
                errors.Add($"{(path.Length == 0 ? "" : path + ".")}{required}: required");
            }
        }
    }

    private static bool Passes(JsonNode node, JsonObject schema, string path)
    {
        var errors = new List<string>();
        Validate(node, schema, path, errors);
        return errors.Count == 0;
    }

    private static bool IsOfType(JsonNode node, string type) => type switch
    {
        "number" => Kind(node) is "number" or "integer",
        _ => Kind(node) == type,
    };

    private static string Kind(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => v.TryGetValue<long>(out _) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    /// <summary>A number whichever CLR type holds it (the YAML reader keeps integers as <see cref="long"/>).</summary>
    private static double? Number(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        ? Convert.ToDouble(v.GetValue<object>(), System.Globalization.CultureInfo.InvariantCulture)
        : null;

    private static string Shown(JsonNode node) => node.ToJsonString();
}
