using Meridian.Fhir.Specification;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

public class PrimitiveFormatTests
{
    [Theory]
    [InlineData("date", "2023")]
    [InlineData("date", "2023-02")]
    [InlineData("date", "2024-02-29")]
    [InlineData("dateTime", "2023-01-01T10:00:00Z")]
    [InlineData("dateTime", "2023-01-01T10:00:00.123+14:00")]
    [InlineData("dateTime", "2016-12-31T23:59:60Z")]
    [InlineData("dateTime", "2023-06")]
    [InlineData("instant", "2023-01-01T10:00:00.5-05:00")]
    [InlineData("time", "23:59:59.999")]
    [InlineData("code", "a b")]
    [InlineData("id", "A-Za.09")]
    [InlineData("string", " padded ")]
    [InlineData("uri", "urn:oid:1.2")]
    [InlineData("oid", "urn:oid:2.16.840.1.113883")]
    [InlineData("uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520")]
    [InlineData("base64Binary", "aGVsbG8=")]
    [InlineData("base64Binary", "aGVs\nbG8h")]
    [InlineData("integer", "-2147483648")]
    [InlineData("positiveInt", "2147483647")]
    [InlineData("unsignedInt", "0")]
    [InlineData("decimal", "-0.5e-10")]
    [InlineData("boolean", "false")]
    public void Valid_values_pass_and_match_the_spec_regex(string type, string value)
    {
        Assert.Null(PrimitiveFormats.Check(PrimitiveFormats.KindOf(type), value, null));
        Assert.Matches(FhirSpec.R4.FindType(type)!.ValueRegex!, value);
    }

    [Theory]
    [InlineData("date", "2023-02-29", true)]
    [InlineData("date", "2023-00", false)]
    [InlineData("date", "23-01-01", false)]
    [InlineData("dateTime", "2023-01-01T10:00", false)]
    [InlineData("dateTime", "2023-01-01T10:00:00+15:00", false)]
    [InlineData("dateTime", "2023-01-01T10:00:00", false)]
    [InlineData("dateTime", "2023-11-31T10:00:00Z", true)]
    [InlineData("instant", "2023-01-01T10:00:00", false)]
    [InlineData("time", "12:60:00", false)]
    [InlineData("code", "a  b", false)]
    [InlineData("code", "a ", false)]
    [InlineData("code", "", false)]
    [InlineData("id", "a/b", false)]
    [InlineData("string", "", false)]
    [InlineData("string", "form\ffeed", false)]
    [InlineData("uri", "a b", false)]
    [InlineData("oid", "urn:oid:3.1", false)]
    [InlineData("oid", "urn:oid:1.02", false)]
    [InlineData("uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520", false)]
    [InlineData("base64Binary", "aGVsbG8", false)]
    [InlineData("base64Binary", "aG=sbG8h", true)]
    [InlineData("integer", "01", false)]
    [InlineData("integer", "2147483648", true)]
    [InlineData("positiveInt", "0", false)]
    [InlineData("unsignedInt", "-1", false)]
    [InlineData("decimal", "1.", false)]
    [InlineData("decimal", ".5", false)]
    [InlineData("boolean", "True", false)]
    public void Invalid_values_fail(string type, string value, bool regexAlone)
    {
        Assert.NotNull(PrimitiveFormats.Check(PrimitiveFormats.KindOf(type), value, null));
        // Where the regex alone would accept the value, the failure is a semantic check.
        Assert.Equal(regexAlone, FhirSpec.R4.FindType(type)!.ValueRegex!.IsMatch(value));
    }

    [Fact]
    public void Every_primitive_regex_of_the_spec_builds_on_the_linear_time_engine()
    {
        // The non-backtracking engine refuses constructs it cannot match in linear time;
        // building each pattern proves none of the spec's needs them.
        var primitives = FhirSpec.R4.Types.Where(t => t.IsPrimitive && t.RegexPattern is not null).ToList();
        Assert.True(primitives.Count >= 15, $"only {primitives.Count} primitive patterns");
        foreach (var type in primitives)
        {
            Assert.True(type.ValueRegex!.Options.HasFlag(System.Text.RegularExpressions.RegexOptions.NonBacktracking), type.Name);
        }
        Assert.DoesNotMatch(FhirSpec.R4.FindType("dateTime")!.ValueRegex!, new string('9', 100_000));
    }

    [Fact]
    public void Regex_whitespace_means_what_it_means_in_the_spec_java_regexes()
    {
        // In Java (the reference validator) \s is [ \t\n\x0B\f\r]: a no-break space is an
        // ordinary character, so "x\u00A0" is a valid code; .NET's \s would reject it.
        Assert.Null(PrimitiveFormats.Check(PrimitiveKind.Code, "x\u00A0", null));
        Assert.NotNull(PrimitiveFormats.Check(PrimitiveKind.Code, "x\t", null));
    }
}
