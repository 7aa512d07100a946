using System.CommandLine;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Validation;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian validate FILE...</c>: each file's OperationOutcome; exit 1 if any has an error.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var files = new Argument<FileInfo[]>("files")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "FHIR resources as JSON files",
        };
        var command = new Command("validate", "Validate FHIR R4 JSON resources against the base specification and print an OperationOutcome per file.")
        {
            files,
        };
        command.SetAction(async (parse, ct) =>
        {
            var anyError = false;
            foreach (var file in parse.GetValue(files) ?? [])
            {
                IReadOnlyCollection<Issue> issues;
                if (!file.Exists)
                {
                    issues = [new Issue(IssueSeverity.Fatal, IssueType.NotFound, $"File not found: {file.FullName}")];
                }
                else
                {
                    var bytes = await File.ReadAllBytesAsync(file.FullName, ct).ConfigureAwait(false);
                    issues = Validate(bytes);
                }
                anyError |= issues.Any(i => i.IsError);
                await output.WriteLineAsync($"== {file.FullName}").ConfigureAwait(false);
                await output.WriteLineAsync(OperationOutcomeWriter.ToJson(issues)).ConfigureAwait(false);
            }
            return anyError ? 1 : 0;
        });
        return command;
    }

    internal static IReadOnlyCollection<Issue> Validate(ReadOnlyMemory<byte> json) => FhirValidator.R4.Validate(json);
}
