using Meridian.Cli;

namespace Meridian.Audit.Tests.Support;

/// <summary>Runs the meridian command in-process, capturing what it prints.</summary>
internal static class MeridianCommand
{
    public static async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await MeridianCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
