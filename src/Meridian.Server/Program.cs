using Meridian.Server;

// The host alone; `meridian serve` starts the same server with command-line flags.
try
{
    await using var app = await MeridianServer.BuildAsync(args, overrides: null).ConfigureAwait(false);
    await app.RunAsync().ConfigureAwait(false);
    return 0;
}
catch (Microsoft.Extensions.Options.OptionsValidationException ex)
{
    await Console.Error.WriteLineAsync("meridian: invalid configuration: " + string.Join(" ", ex.Failures)).ConfigureAwait(false);
    return 2;
}
