using System.Collections.Immutable;

namespace Meridian.Hl7.Tests;

/// <summary>
/// The deliberately broken inputs of malformed/ (see its manifest): none may throw or hang;
/// each file's outcome is pinned here — rejected with a reason, or parsed with the warning its
/// defect calls for. Parsed ones still round-trip byte for byte.
/// </summary>
public sealed class MalformedTests
{
    /// <summary>File name → expected outcome: "reject:CODE" (error issue with that code) or "warn:CODE" (parsed, warning with that code).</summary>
    private static readonly ImmutableDictionary<string, string> s_expected = new Dictionary<string, string>
    {
        ["empty.hl7"] = "reject:EMPTY",
        ["msh_present_but_missing_all_fields.hl7"] = "reject:BAD_DELIMITERS",
        ["msh_present_but_missing_msh-10.hl7"] = "warn:MISSING_FIELD@MSH-10",
        ["msh_present_but_missing_msh-9.hl7"] = "warn:MISSING_FIELD@MSH-9",
        // MSH-6 is optional and 2.3 a valid version in the base standard: these are profile violations,
        // caught by the sender's profile in the options (see the CDC profile below).
        ["msh_present_but_missing_msh-6.hl7"] = "warn:MISSING_FIELD@MSH-6",
        ["msh-12_has_value_2_3.hl7"] = "warn:VERSION_MISMATCH@MSH-12",
        ["orm_obx-5_is_not_a_numeric_value.hl7"] = "warn:DATA_TYPE@OBX-5",
        ["invalid-missing-msh.hl7"] = "reject:NO_MSH",
        ["invalid-segment-header-length.hl7"] = "warn:SEGMENT_ID",
        ["invalid-trailing-empty-fields.hl7"] = "warn:TRAILING_DELIMITERS",
        ["EncodingNotSupportedException__nullref1.hl7"] = "reject:BAD_DELIMITERS",
        ["EncodingNotSupportedException__id_000014_sig_02_src_000480_000349_op_splice_rep_32.hl7"] = "reject:NO_MSH",
        ["HL7Exception__hang1.hl7"] = "warn:BAD_DELIMITERS@MSH-2",
        ["HL7Exception__stackoverflow1.hl7"] = "warn:BAD_DELIMITERS@MSH-2",
        ["HL7Exception__id_000064_sig_02_src_000051_000380_op_splice_rep_16.hl7"] = "reject:BAD_DELIMITERS",
        ["HL7Exception__id_000092_sig_02_src_001582_001861_op_splice_rep_16.hl7"] = "warn:SEGMENT_ID",
        ["NoException__id_000109_sig_02_src_001098_002192_op_splice_rep_4.hl7"] = "warn:SEGMENT_ID",
        ["NoException__id_000146_sig_02_src_000682_002159_op_splice_rep_4.hl7"] = "warn:SEGMENT_ID",
    }.ToImmutableDictionary();

    /// <summary>The CDC trusted-intermediary profile the cdc files are negative tests of.</summary>
    private static readonly Hl7ParseOptions s_cdcProfile = new() { ExpectedVersion = "2.5.1", RequiredFields = ["MSH-6"] };

    [Theory]
    [MemberData(nameof(Hl7Corpus.MalformedData), MemberType = typeof(Hl7Corpus))]
    public async Task Behaves_as_expected_without_throwing_or_hanging(string file)
    {
        var bytes = Hl7Corpus.Read(file);
        var name = Path.GetFileName(file);
        var options = file.Contains("cdc-trusted-intermediary", StringComparison.Ordinal) ? s_cdcProfile : null;

        // A hang guard, not a timing assertion: parsing is linear, so minutes mean a loop.
        var result = await Task.Run(() => Hl7Parser.Parse(bytes, options: options)).WaitAsync(TimeSpan.FromMinutes(1));

        var expected = s_expected.GetValueOrDefault(name)
            // The remaining fuzzer finds have delimiters made of digits or letters (e.g. "MSH|0000|"): rejected.
            ?? "reject:BAD_DELIMITERS";
        var (kind, code, location) = Split(expected);
        if (kind == "reject")
        {
            Assert.False(result.Success, $"{name} parsed but should be rejected");
            Assert.Contains(result.Errors, i => i.Code == code);
            Assert.False(string.IsNullOrWhiteSpace(result.ErrorReason));
        }
        else
        {
            Assert.True(result.Success, $"{name}: {result.ErrorReason}");
            Assert.Contains(result.Warnings, i => i.Code == code && (location.Length == 0 || i.Location == location));
            Assert.Equal(bytes, Hl7Writer.ToBytes(result.Message!));
        }
    }

    [Fact]
    public void The_same_files_parse_without_the_profile_when_only_the_profile_is_violated()
    {
        foreach (var name in new[] { "msh_present_but_missing_msh-6.hl7", "msh-12_has_value_2_3.hl7" })
        {
            var result = Hl7Parser.Parse(Hl7Corpus.Read($"malformed/cdc-trusted-intermediary/{name}"));

            Assert.True(result.Success);
            Assert.DoesNotContain(result.Issues, i => i.Code is Hl7IssueCodes.VersionMismatch || i.Location == "MSH-6");
        }
    }

    private static (string Kind, string Code, string Location) Split(string expected)
    {
        var colon = expected.IndexOf(':', StringComparison.Ordinal);
        var rest = expected[(colon + 1)..];
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        return (expected[..colon], at < 0 ? rest : rest[..at], at < 0 ? "" : rest[(at + 1)..]);
    }

    [Fact]
    public async Task Hostile_sizes_stay_linear_and_bounded()
    {
        // 200,000 repetitions in a checked DTM field, 200,000 components, 50,000 segments, a 1 MB stray-escape field.
        var text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r"
            + "PID|1||" + new string('^', 200_000) + "||x||" + string.Join('~', Enumerable.Repeat("19700101", 200_000)) + "\r"
            + string.Concat(Enumerable.Repeat("NTE|1||x\r", 50_000))
            + "NTE|2||" + new string('\\', 1_000_000) + "\r";

        var walked = await Task.Run(() =>
        {
            var message = Hl7Parser.Parse(text).Message!;
            var pid = message.Segment("PID")!;
            return pid.Field(7).Repetitions.Count() + pid.Field(3).Rep(0).Components.Count()
                + message.SegmentsOf("NTE").Last().Field(3).Value.Length;
        }).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(200_000 + 200_001 + 1_000_000, walked);
    }
}
