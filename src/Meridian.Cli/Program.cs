using Meridian.Cli;

return await MeridianCli.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
