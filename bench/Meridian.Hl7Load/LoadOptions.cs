using System.Globalization;

namespace Meridian.Hl7Load;

/// <summary>Command-line settings: <c>--store sqlite|postgres --connection CS --connections 1,8 --mode original,enhanced --seconds 20 --warmup 3 --to host:port --obx 10</c>.</summary>
internal sealed record LoadOptions
{
    public string Store { get; init; } = "sqlite";
    public string? Connection { get; init; }
    public int[] Connections { get; init; } = [1, 8];
    public string[] Modes { get; init; } = ["original", "enhanced"];
    public int Seconds { get; init; } = 20;
    public int Warmup { get; init; } = 3;
    public string? To { get; init; }
    public int Observations { get; init; } = 10;

    /// <summary>After each run wait until the inbox is mapped and report the mapping rate.</summary>
    public bool Drain { get; init; } = true;

    public int DrainSeconds { get; init; } = 300;

    /// <summary>Print the N types that allocate most during the measured run (0: off).</summary>
    public int AllocTypes { get; init; }

    public static LoadOptions Parse(string[] args)
    {
        var o = new LoadOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--store" => o with { Store = v },
                "--connection" => o with { Connection = v, Store = "postgres" },
                "--connections" => o with { Connections = [.. v.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                "--mode" => o with { Modes = v.Split(',') },
                "--seconds" => o with { Seconds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--warmup" => o with { Warmup = int.Parse(v, CultureInfo.InvariantCulture) },
                "--to" => o with { To = v },
                "--drain" => o with { Drain = v != "off" },
                "--drain-seconds" => o with { DrainSeconds = int.Parse(v, CultureInfo.InvariantCulture) },
                "--alloc-types" => o with { AllocTypes = int.Parse(v, CultureInfo.InvariantCulture) },
                "--obx" => o with { Observations = int.Parse(v, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
