using System.Globalization;
using System.Text.RegularExpressions;

namespace Meridian.Events.Tests.Support;

/// <summary>One sample of a scrape: metric name, labels, value.</summary>
public sealed record PromSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, written from the format's description
/// (independently of the exporter): every line is a HELP, a TYPE or a sample; a TYPE comes
/// before its samples and once per name; label values are unescaped. Throws on anything else.
/// </summary>
public static partial class PrometheusParser
{
    public static (IReadOnlyList<PromSample> Samples, IReadOnlyDictionary<string, string> Types) Parse(string text)
    {
        var samples = new List<PromSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var current = "";
        Assert.EndsWith("\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                Assert.Matches(HelpLine(), line);
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var m = TypeLine().Match(line);
                Assert.True(m.Success, "bad TYPE line: " + line);
                Assert.True(types.TryAdd(m.Groups[1].Value, m.Groups[2].Value), "TYPE twice: " + line);
                Assert.True(seen.Add(m.Groups[1].Value), "samples of " + m.Groups[1].Value + " are not together");
                current = m.Groups[1].Value;
                continue;
            }
            var sample = SampleLine().Match(line);
            Assert.True(sample.Success, "bad sample line: " + line);
            var name = sample.Groups[1].Value;
            var family = types.ContainsKey(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", "");
            Assert.Equal(current, family);
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in Label().Matches(sample.Groups[2].Value))
            {
                labels.Add(label.Groups[1].Value, Regex.Unescape(label.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal)));
            }
            var value = sample.Groups[3].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PromSample(name, labels, value));
        }
        return (samples, types);
    }

    public static double? Value(IReadOnlyList<PromSample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.FirstOrDefault(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))?.Value;

    [GeneratedRegex(@"^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\[\\""n])*"",?)*\})? (\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\[\\""n])*)""")]
    private static partial Regex Label();
}
