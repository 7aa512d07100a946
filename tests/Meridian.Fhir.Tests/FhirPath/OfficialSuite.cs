using System.Collections.Concurrent;
using System.Globalization;
using System.Xml.Linq;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.FhirPath;

/// <summary>One case of the official FHIRPath suite (tests-fhir-r4.xml).</summary>
public sealed record SuiteCase(string Name, string Group, string? InputFile, string Expression, string? Invalid,
    bool Predicate, bool Ordered, IReadOnlyList<(string Type, string Value)> Outputs)
{
    public override string ToString() => Name;
}

/// <summary>Loads the official suite and runs a case against the engine; inputs are the JSON renderings.</summary>
public static class OfficialSuite
{
    private static readonly Lazy<IReadOnlyList<SuiteCase>> s_cases = new(Load);
    private static readonly ConcurrentDictionary<string, FhirNode> s_inputs = new();

    public static IReadOnlyList<SuiteCase> Cases => s_cases.Value;

    private static List<SuiteCase> Load()
    {
        var doc = XDocument.Load(SharedData.PathOf("fhirpath-tests", "tests-fhir-r4.xml"));
        var cases = new List<SuiteCase>();
        var unnamed = 0;
        foreach (var test in doc.Descendants("test"))
        {
            var expr = test.Element("expression")!;
            var outputs = test.Elements("output").Select(o => ((string?)o.Attribute("type") ?? "", o.Value)).ToList();
            cases.Add(new SuiteCase(
                (string?)test.Attribute("name") ?? $"unnamed{++unnamed}",
                (string?)test.Parent?.Attribute("name") ?? "",
                (string?)test.Attribute("inputfile"),
                expr.Value,
                (string?)expr.Attribute("invalid"),
                (string?)test.Attribute("predicate") == "true",
                (string?)test.Attribute("ordered") != "false",
                outputs));
        }
        return cases;
    }

    private static FhirNode Input(string? file)
    {
        var name = file is null ? "(none)" : Path.ChangeExtension(file, ".json");
        return s_inputs.GetOrAdd(name, n =>
        {
            var json = n == "(none)" ? """{"resourceType":"Parameters"}""" : File.ReadAllText(SharedData.PathOf("fhirpath-tests", "input", n));
            return FhirJsonParser.R4.Parse(json).Resource ?? throw new InvalidOperationException("Cannot parse " + n);
        });
    }

    /// <summary>Runs a case; returns null when it passes, otherwise why it failed.</summary>
    public static string? Run(FhirPathEngine engine, SuiteCase c)
    {
        IReadOnlyList<object> result;
        try
        {
            var focus = Input(c.InputFile);
            // Typed like a strict engine: the input's resource type is the context type.
            result = engine.Compile(c.Expression, focus.TypeName).Evaluate(focus);
        }
        catch (FhirPathException e)
        {
            return c.Invalid is not null ? null : "error: " + e.Message;
        }
        if (c.Invalid is not null)
        {
            return $"expected a {c.Invalid} error but got [{Format(result)}]";
        }
        if (c.Predicate)
        {
            result = [result.Count > 0];
        }
        if (result.Count != c.Outputs.Count)
        {
            return $"expected [{string.Join(", ", c.Outputs.Select(o => o.Value))}] but got [{Format(result)}]";
        }
        var used = new bool[result.Count];
        for (var i = 0; i < c.Outputs.Count; i++)
        {
            var matched = false;
            for (var j = 0; j < result.Count && !matched; j++)
            {
                if ((c.Ordered ? j == i : !used[j]) && Matches(result[j], c.Outputs[i]))
                {
                    used[j] = matched = true;
                }
            }
            if (!matched)
            {
                return $"expected [{string.Join(", ", c.Outputs.Select(o => o.Type + ":" + o.Value))}] but got [{Format(result)}]";
            }
        }
        return null;
    }

    private static string Format(IReadOnlyList<object> items) =>
        string.Join(", ", items.Select(i => i is FhirNode n ? $"{n.TypeName}:{n.Text ?? n.Location}" : $"{i.GetType().Name}:{i}"));

    private static bool Matches(object actual, (string Type, string Value) expected)
    {
        var value = actual is FhirNode n && n.Text is { } text ? SystemValueOf(n, text) : actual;
        var e = expected.Value;
        switch (expected.Type)
        {
            case "boolean":
                return value is bool b && (b ? "true" : "false") == e;
            case "integer":
                return value is long l && l.ToString(CultureInfo.InvariantCulture) == e;
            case "decimal":
                return value is decimal or long && decimal.TryParse(e, CultureInfo.InvariantCulture, out var d) && Convert.ToDecimal(value, CultureInfo.InvariantCulture) == d;
            case "date":
            case "dateTime":
            case "time":
                return "@" + (value is FhirPathTime ? "T" : "") + value + "" == e;
            case "Quantity":
                return value is FhirPathQuantity q && q.ToString() == e;
            case "":
                // Untyped outputs (FHIRPath 2.1 cases) are compared by their literal rendering.
                return value switch
                {
                    FhirPathDate or FhirPathDateTime => "@" + value == e,
                    FhirPathTime => "@T" + value == e,
                    bool flag => (flag ? "true" : "false") == e,
                    decimal dec => dec.ToString(CultureInfo.InvariantCulture) == e,
                    long integer => integer.ToString(CultureInfo.InvariantCulture) == e,
                    _ => value.ToString() == e,
                };
            default:
                return value is string s && s == e;
        }
    }

    private static object SystemValueOf(FhirNode n, string text) => n.TypeName switch
    {
        "boolean" => text == "true",
        "integer" or "positiveInt" or "unsignedInt" => long.Parse(text, CultureInfo.InvariantCulture),
        "decimal" => decimal.Parse(text, CultureInfo.InvariantCulture),
        "date" => (object?)FhirPathDate.Parse(text) ?? text,
        "dateTime" or "instant" => (object?)FhirPathDateTime.Parse(text) ?? text,
        "time" => (object?)FhirPathTime.Parse(text) ?? text,
        _ => text,
    };
}
