using System.CommandLine;
using Meridian.Cli.Commands;

namespace Meridian.Cli;

/// <summary>The command tree. Output writers are passed in so tests run commands in-process.</summary>
public static class MeridianCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Meridian: an open-source FHIR R4 healthcare data platform.");
        root.Subcommands.Add(ValidateCommand.Create(output, error));
        root.Subcommands.Add(FhirPathCommand.Create(output, error));
        root.Subcommands.Add(ServeCommand.Create(output, error));
        root.Subcommands.Add(ImportCommand.Create(output, error));
        root.Subcommands.Add(KeysCommand.Create(output, error));
        root.Subcommands.Add(AuditCommand.Create(output, error));
        root.Subcommands.Add(UsersCommand.Create(output, error));
        root.Subcommands.Add(ClientsCommand.Create(output, error));
        root.Subcommands.Add(Hl7Command.Create(output, error));
        Hl7ConvertCommand.AddTo(root, output, error);
        var config = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(config).ConfigureAwait(false);
    }
}
