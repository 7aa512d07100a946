using System.CommandLine;
using Meridian.Fhir.Outcomes;

namespace Meridian.Cli.Commands;

/// <summary><c>meridian fhirpath EXPRESSION FILE</c>: the result collection as JSON.</summary>
internal static class FhirPathCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var expression = new Argument<string>("expression") { Description = "a FHIRPath expression" };
        var file = new Argument<FileInfo>("file") { Description = "a FHIR resource as JSON" };
        var command = new Command("fhirpath", "Evaluate a FHIRPath expression against a resource and print the result as JSON.")
        {
            expression,
            file,
        };
        command.SetAction(async (parse, ct) =>
        {
            await error.WriteLineAsync(OperationOutcomeWriter.ToJson([Issue.Error(IssueType.NotSupported, "FHIRPath is not available in this build.")])).ConfigureAwait(false);
            return 2;
        });
        return command;
    }
}
