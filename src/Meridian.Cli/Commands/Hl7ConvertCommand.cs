using System.CommandLine;
using Meridian.Hl7;
using Meridian.Hl7.Fhir.Conversion;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian hl7 convert FILE [--mapping DIR] [--sender ID]</c>: converts one HL7 v2 message
/// with the v2-to-FHIR mappings (the built-in set, or DIR's files laid over it) and prints the
/// transaction Bundle. Exit codes: 0 converted, 1 unparseable or unmappable (reason on stderr),
/// 2 bad usage (missing file, mapping folder with problems).
/// </summary>
internal static class Hl7ConvertCommand
{
    /// <summary>Adds <c>convert</c> under the <c>hl7</c> command, creating that command when no other part has.</summary>
    public static void AddTo(RootCommand root, TextWriter output, TextWriter error)
    {
        var hl7 = root.Subcommands.FirstOrDefault(c => c.Name == "hl7");
        if (hl7 is null)
        {
            hl7 = new Command("hl7", "HL7 v2 tools.");
            root.Subcommands.Add(hl7);
        }
        hl7.Subcommands.Add(Create(output, error));
    }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("FILE") { Description = "one HL7 v2 message (CR, LF or CRLF segment ends)" };
        var mapping = new Option<DirectoryInfo?>("--mapping") { Description = "a folder of *.map files laid over the built-in mappings (a sender's mapping set)" };
        var sender = new Option<string?>("--sender") { Description = "the sender id recorded in Provenance (default MSH-3^MSH-4)" };
        var command = new Command("convert", "Convert an HL7 v2 message to a FHIR R4 transaction Bundle and print it.") { file, mapping, sender };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"meridian hl7 convert: no file {path.FullName}").ConfigureAwait(false);
                return 2;
            }
            var set = MappingSet.Default;
            if (parse.GetValue(mapping) is { } folder)
            {
                set = MappingSet.LoadOverride(folder.FullName);
                if (set.Problems.Length > 0)
                {
                    foreach (var problem in set.Problems)
                    {
                        await error.WriteLineAsync("mapping: " + problem).ConfigureAwait(false);
                    }
                    return 2;
                }
            }
            var bytes = await File.ReadAllBytesAsync(path.FullName, ct).ConfigureAwait(false);
            var parsed = Hl7Parser.Parse(bytes);
            if (parsed.Message is null)
            {
                await error.WriteLineAsync("meridian hl7 convert: " + parsed.ErrorReason).ConfigureAwait(false);
                return 1;
            }
            var result = new Hl7FhirConverter(set).Convert(parsed.Message, new Hl7ConversionOptions { Sender = parse.GetValue(sender) });
            foreach (var note in result.Notes)
            {
                await error.WriteLineAsync("note: " + note).ConfigureAwait(false);
            }
            if (!result.Success)
            {
                await error.WriteLineAsync("meridian hl7 convert: " + result.Error).ConfigureAwait(false);
                return 1;
            }
            await output.WriteLineAsync(result.ToJson(indented: true)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
