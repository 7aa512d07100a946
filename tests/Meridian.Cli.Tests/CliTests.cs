using System.Text.Json;

namespace Meridian.Cli.Tests;

/// <summary>The two commands people and scripts use to check the FHIR core from outside.</summary>
public class CliTests
{
    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

    private static Task<(int Exit, string Out, string Err)> Run(params string[] args) => Cli.Run(args);

    [Fact]
    public async Task Validate_a_valid_resource_exits_zero_with_an_all_ok_outcome()
    {
        var (exit, output, _) = await Run("validate", Example("patient.json"));
        Assert.Equal(0, exit);
        Assert.Contains("\"resourceType\": \"OperationOutcome\"", output, StringComparison.Ordinal);
        Assert.Contains("All OK", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_reports_every_file_and_exits_one_when_any_has_an_error()
    {
        var (exit, output, _) = await Run("validate", Example("patient.json"), Example("patient-invalid.json"));
        Assert.Equal(1, exit);
        Assert.Equal(2, output.Split("== ").Length - 1);
        var outcome = JsonDocument.Parse(output[output.LastIndexOf('{', output.IndexOf("\"issue\"", output.LastIndexOf("== ", StringComparison.Ordinal), StringComparison.Ordinal))..]);
        var issues = outcome.RootElement.GetProperty("issue").EnumerateArray().ToList();
        Assert.Contains(issues, i => i.GetProperty("code").GetString() == "code-invalid"
            && i.GetProperty("expression")[0].GetString() == "Patient.gender");
        Assert.Contains(issues, i => i.GetProperty("code").GetString() == "value"
            && i.GetProperty("expression")[0].GetString() == "Patient.birthDate");
    }

    [Fact]
    public async Task Validate_gives_line_and_column_for_malformed_json()
    {
        var file = Path.Combine(Path.GetTempPath(), $"meridian-cli-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "{\n  \"resourceType\": \"Patient\",\n  \"active\": }");
        try
        {
            var (exit, output, _) = await Run("validate", file);
            Assert.Equal(1, exit);
            Assert.Contains("operationoutcome-issue-line", output, StringComparison.Ordinal);
            Assert.Contains("\"valueInteger\": 3", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Validate_a_missing_file_is_an_error_not_a_crash()
    {
        var (exit, output, _) = await Run("validate", "/nonexistent/meridian.json");
        Assert.Equal(1, exit);
        Assert.Contains("not-found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fhirpath_prints_the_result_collection_as_json()
    {
        var (exit, output, _) = await Run("fhirpath", "name.given", Example("patient.json"));
        Assert.Equal(0, exit);
        Assert.Equal("[\"Peter\",\"James\",\"Jim\",\"Peter\",\"James\"]", output.Trim());
    }

    [Theory]
    [InlineData("name.where(use = 'official').family", "[\"Chalmers\"]")]
    [InlineData("birthDate", "[\"1974-12-25\"]")]
    [InlineData("active and deceased = false", "[true]")]
    [InlineData("deceased.exists().not()", "[false]")]
    [InlineData("name.count() + 0.5", "[3.5]")]
    [InlineData("telecom.where(system = 'phone').count()", "[3]")]
    [InlineData("(5 'mg' + 5 'mg')", "[{\"value\":10,\"unit\":\"mg\"}]")]
    [InlineData("name[0]", "[{\"use\":\"official\",\"family\":\"Chalmers\",\"given\":[\"Peter\",\"James\"]}]")]
    [InlineData("nothing", "[]")]
    public async Task Fhirpath_writes_elements_and_system_values(string expression, string expected)
    {
        var (exit, output, error) = await Run("fhirpath", expression, Example("patient.json"));
        Assert.True(exit == 0, error);
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public async Task Fhirpath_syntax_errors_are_an_outcome_with_exit_one()
    {
        var (exit, _, error) = await Run("fhirpath", "name.(", Example("patient.json"));
        Assert.Equal(1, exit);
        Assert.Contains("OperationOutcome", error, StringComparison.Ordinal);
        Assert.Contains("position", error, StringComparison.Ordinal);
    }
}
