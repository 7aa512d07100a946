using System.Text;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;

namespace Meridian.Fhir.Tests.Serialization;

public class BadInputTests
{
    private static ParseResult Parse(string json) => FhirJsonParser.R4.Parse(json);

    [Fact]
    public void Malformed_json_gives_a_fatal_issue_with_line_and_column()
    {
        var r = Parse("{\n  \"resourceType\": \"Patient\",\n  \"active\": tru\n}");
        Assert.Null(r.Resource);
        var issue = Assert.Single(r.Issues);
        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Code);
        Assert.Equal(3, issue.Line);
        Assert.NotNull(issue.Column);
        Assert.DoesNotContain("LineNumber", issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Thousand_level_nesting_is_rejected_without_exhausting_the_stack()
    {
        var json = "{\"resourceType\":\"Patient\",\"x\":" + new string('[', 1000) + new string(']', 1000) + "}";
        var r = Parse(json);
        Assert.Null(r.Resource);
        Assert.Contains(r.Issues, i => i.Severity == IssueSeverity.Fatal && i.Message.Contains("depth", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_hundred_megabyte_string_is_refused_by_size_before_parsing()
    {
        var big = new byte[100 * 1024 * 1024 + 64];
        var prefix = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"");
        prefix.CopyTo(big, 0);
        big.AsSpan(prefix.Length, big.Length - prefix.Length - 2).Fill((byte)'a');
        big[^2] = (byte)'"';
        big[^1] = (byte)'}';
        var r = FhirJsonParser.R4.Parse(big);
        Assert.Null(r.Resource);
        Assert.Equal(IssueType.TooLong, Assert.Single(r.Issues).Code);
    }

    [Fact]
    public async Task Oversized_streams_stop_reading_at_the_limit()
    {
        var parser = new FhirJsonParser(Meridian.Fhir.Specification.FhirSpec.R4, new FhirJsonParserOptions { MaxBytes = 1024 });
        using var s = new MemoryStream(new byte[10_000]);
        var r = await parser.ParseAsync(s);
        Assert.Equal(IssueType.TooLong, Assert.Single(r.Issues).Code);
        Assert.True(s.Position <= 1024 + 81920, "read far beyond the limit");
    }

    [Fact]
    public void Duplicate_keys_are_errors()
    {
        var r = Parse("{\"resourceType\":\"Patient\",\"active\":true,\"active\":false}");
        Assert.Contains(r.Issues, i => i.IsError && i.Message.Contains("Duplicate property 'active'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patientx\"}", "Unknown resourceType")]
    [InlineData("{\"resourceType\":\"DomainResource\"}", "Unknown resourceType")]
    [InlineData("{\"id\":\"a\"}", "no resourceType")]
    [InlineData("{\"resourceType\":42}", "no resourceType")]
    [InlineData("[1,2]", "must be a JSON object")]
    public void Missing_or_wrong_resource_type_is_an_error(string json, string message)
    {
        var r = Parse(json);
        Assert.Null(r.Resource);
        Assert.Contains(r.Issues, i => i.IsError && i.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Unexpected_resource_type_is_an_error_when_a_type_is_expected()
    {
        var r = FhirJsonParser.R4.Parse(Encoding.UTF8.GetBytes("{\"resourceType\":\"Observation\",\"status\":\"final\"}"), "Patient");
        Assert.Contains(r.Issues, i => i.IsError && i.Message.Contains("Expected a Patient", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_its_position()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\n\"id\":\"ab").Concat(new byte[] { 0xC3, 0x28 }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        var r = FhirJsonParser.R4.Parse(bytes);
        Assert.Null(r.Resource);
        var issue = Assert.Single(r.Issues);
        Assert.Contains("UTF-8", issue.Message, StringComparison.Ordinal);
        Assert.Equal(2, issue.Line);
        Assert.Equal(9, issue.Column);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",\"name\":{\"family\":\"x\"}}", "must be a JSON array")]
    [InlineData("{\"resourceType\":\"Patient\",\"gender\":[\"male\"]}", "must not be an array")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":\"true\"}", "must be a JSON boolean")]
    [InlineData("{\"resourceType\":\"Patient\",\"gender\":1}", "not a number")]
    [InlineData("{\"resourceType\":\"Patient\",\"name\":[]}", "is empty")]
    [InlineData("{\"resourceType\":\"Patient\",\"maritalStatus\":\"M\"}", "must be a JSON object")]
    [InlineData("{\"resourceType\":\"Patient\",\"foo\":1}", "Unknown element 'foo'")]
    [InlineData("{\"resourceType\":\"Patient\",\"_name\":{}}", "Unknown element '_name'")]
    [InlineData("{\"resourceType\":\"Observation\",\"valueString\":\"a\",\"valueBoolean\":true}", "appears with two types")]
    [InlineData("{\"resourceType\":\"Patient\",\"birthDate\":null}", "is null")]
    [InlineData("{\"resourceType\":\"Patient\",\"name\":[{\"given\":[null]}]}", "null in both")]
    public void Wrong_shapes_are_structure_errors(string json, string message)
    {
        var r = Parse(json);
        Assert.Contains(r.Issues, i => i.IsError && i.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_elements_are_kept_so_nothing_is_lost()
    {
        var r = Parse("{\"resourceType\":\"Patient\",\"foo\":{\"a\":[1,2.50]}}");
        Assert.NotNull(r.Resource);
        Assert.Contains("\"foo\":{\"a\":[1,2.50]}", FhirJsonWriter.ToJson(r.Resource!), StringComparison.Ordinal);
        Assert.Equal("Patient.foo", r.Issues.Single().Expression);
    }

    [Fact]
    public void Issue_locations_are_fhirpath_expressions()
    {
        var r = Parse("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"a\"},{\"given\":\"b\"}]}");
        var issue = Assert.Single(r.Issues);
        Assert.Equal("Patient.name[1].given", issue.Expression);
    }
}
