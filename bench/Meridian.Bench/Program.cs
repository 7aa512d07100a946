using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Meridian.Bench.SyntheaCorpus).Assembly).Run(args);
