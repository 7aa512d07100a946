using System.Text.Json.Nodes;
using Meridian.Cli;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary><c>meridian hl7 convert</c> in-process: prints the Bundle, honours --mapping, fails with the reason.</summary>
public sealed class ConvertCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MeridianCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Prints_the_transaction_bundle()
    {
        var (code, stdout, stderr) = await RunAsync("hl7", "convert", Path.Combine(Corpus.Root, "v2-to-fhir", "messages", "ORU_R01.hl7"));
        Assert.True(code == 0, stderr);
        var bundle = JsonNode.Parse(stdout)!.AsObject();
        Assert.Equal("transaction", bundle["type"]!.GetValue<string>());
        Assert.Equal(3, Corpus.Resources(bundle, "Observation").Count());
        Assert.Single(Corpus.Resources(bundle, "DiagnosticReport"));
    }

    [Fact]
    public async Task Uses_a_mapping_folder()
    {
        var folder = Directory.CreateTempSubdirectory("meridian-convert-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "obx.map"), "segment OBX[Observation] Observation\n  \"final\" status code\n  OBX-3 code CWE\n  \"overridden\" note[+].text string\n  ref subject patient\n");
            var (code, stdout, stderr) = await RunAsync("hl7", "convert", Path.Combine(Corpus.Root, "v2-to-fhir", "messages", "ORU_R01.hl7"), "--mapping", folder);
            Assert.True(code == 0, stderr);
            var observations = Corpus.Resources(JsonNode.Parse(stdout)!.AsObject(), "Observation").ToList();
            Assert.All(observations, o => Assert.Equal("overridden", o["note"]![0]!["text"]!.GetValue<string>()));
            Assert.All(observations, o => Assert.Null(o["valueQuantity"]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_unmappable_message_exits_1_with_the_reason()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "MSH|^~\\&|A|B|C|D|20240101000000||QRY^Q01|1|P|2.3\r");
            var (code, _, stderr) = await RunAsync("hl7", "convert", file);
            Assert.Equal(1, code);
            Assert.Contains("no message map for QRY^Q01", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
