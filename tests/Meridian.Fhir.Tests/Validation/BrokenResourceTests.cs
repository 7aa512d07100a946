using System.Text.Json;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

/// <summary>
/// Deliberately broken resources (Validation/Broken/*.json); manifest.json records for each
/// file the error it must produce: issue code, exact expression, for invariants the key, and
/// whether it must be the only issue.
/// </summary>
public class BrokenResourceTests
{
    private static readonly string s_folder = Path.Combine(AppContext.BaseDirectory, "Validation", "Broken");

    public sealed record Case(string File, string Code, string Expression, string? Source, int? Line, string Why, bool Exclusive);

    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    private static readonly Lazy<IReadOnlyList<Case>> s_manifest = new(() =>
        JsonSerializer.Deserialize<List<Case>>(File.ReadAllBytes(Path.Combine(s_folder, "manifest.json")), s_json)!);

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var c in s_manifest.Value)
        {
            data.Add(c.File);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Broken_resource_produces_its_expected_error(string file)
    {
        var expected = s_manifest.Value.Single(c => c.File == file);
        var issues = FhirValidator.R4.Validate(File.ReadAllBytes(Path.Combine(s_folder, file)));
        var match = issues.FirstOrDefault(i => i.IsError && i.Code == expected.Code && (i.Expression ?? "") == expected.Expression
            && (expected.Source is null || i.Source == expected.Source));
        Assert.True(match is not null,
            $"expected {expected.Code} at '{expected.Expression}' {expected.Source} ({expected.Why}); got:\n{string.Join("\n", issues)}");
        if (expected.Line is { } line)
        {
            Assert.Equal(line, match.Line);
        }
        if (expected.Exclusive)
        {
            // The break is reported once, with nothing else (no cascade of follow-up issues).
            Assert.True(issues.Length == 1, string.Join("\n", issues));
        }
    }

    [Fact]
    public void Every_broken_file_is_in_the_manifest_and_the_suite_is_large_enough()
    {
        var files = Directory.EnumerateFiles(s_folder, "*.json").Select(Path.GetFileName).Where(f => f != "manifest.json").Order(StringComparer.Ordinal);
        Assert.Equal(files, s_manifest.Value.Select(c => c.File).Order(StringComparer.Ordinal));
        Assert.True(s_manifest.Value.Count >= 60);
    }

    [Fact]
    public void Validating_a_tree_reports_what_the_parser_would_have_reported()
    {
        var parsed = Meridian.Fhir.Serialization.FhirJsonParser.R4.Parse(File.ReadAllBytes(Path.Combine(s_folder, "unknown-element.json")));
        var issues = FhirValidator.R4.Validate(parsed.Resource!);
        Assert.Contains(issues, i => i.Code == "structure" && i.Expression == "Patient.foo");
    }
}
