using System.Text.Json;

namespace Meridian.Fhir.Tests.Support;

/// <summary>Semantic JSON equality: member order ignored, array order kept, numbers compared by
/// their exact text (so 1.50 and 1.5 differ, as FHIR requires).</summary>
public static class JsonSemantics
{
    public static string? FirstDifference(JsonElement a, JsonElement b, string path = "$")
    {
        if (a.ValueKind != b.ValueKind)
        {
            return $"{path}: {a.ValueKind} vs {b.ValueKind}";
        }
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var am = a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                var bm = b.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
                foreach (var k in am.Keys.Union(bm.Keys))
                {
                    if (!am.TryGetValue(k, out var av))
                    {
                        return $"{path}.{k}: missing on the left";
                    }
                    if (!bm.TryGetValue(k, out var bv))
                    {
                        return $"{path}.{k}: missing on the right";
                    }
                    var d = FirstDifference(av, bv, $"{path}.{k}");
                    if (d is not null)
                    {
                        return d;
                    }
                }
                return null;
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength())
                {
                    return $"{path}: array length {a.GetArrayLength()} vs {b.GetArrayLength()}";
                }
                for (var i = 0; i < a.GetArrayLength(); i++)
                {
                    var d = FirstDifference(a[i], b[i], $"{path}[{i}]");
                    if (d is not null)
                    {
                        return d;
                    }
                }
                return null;
            case JsonValueKind.String:
                return a.GetString() == b.GetString() ? null : $"{path}: \"{a.GetString()}\" vs \"{b.GetString()}\"";
            case JsonValueKind.Number:
                return a.GetRawText() == b.GetRawText() ? null : $"{path}: {a.GetRawText()} vs {b.GetRawText()}";
            default:
                return null;
        }
    }
}
