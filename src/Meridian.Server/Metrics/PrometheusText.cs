using System.Globalization;
using System.Text;

namespace Meridian.Server.Metrics;

/// <summary>
/// Renders metric families in the Prometheus text exposition format, version 0.0.4: one
/// <c># HELP</c> and <c># TYPE</c> per metric name, then its samples. Instrument names become
/// metric names with every character outside <c>[a-zA-Z0-9_:]</c> turned into <c>_</c>, the unit
/// appended (<c>s</c> → <c>_seconds</c>, <c>ms</c> → <c>_milliseconds</c>, <c>By</c> → <c>_bytes</c>;
/// annotations like <c>{event}</c> add nothing) and <c>_total</c> on counters. Tags become labels.
/// </summary>
public static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    internal static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder();
        // Two instruments can map to one name (two meters, one convention): one HELP/TYPE, all samples.
        foreach (var group in families.GroupBy(MetricName).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            var compatible = group.Where(f => f.Kind == first.Kind).ToList();
            if (!compatible.SelectMany(f => f.Series).Any())
            {
                continue;
            }
            text.Append("# HELP ").Append(group.Key).Append(' ').Append(EscapeHelp(first.Instrument.Description ?? first.Instrument.Name)).Append('\n');
            text.Append("# TYPE ").Append(group.Key).Append(' ').Append(first.Kind switch
            {
                MetricKind.Counter => "counter",
                MetricKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');
            foreach (var family in compatible)
            {
                foreach (var series in family.Series)
                {
                    if (family.Kind == MetricKind.Histogram)
                    {
                        WriteHistogram(text, group.Key, family, series);
                    }
                    else
                    {
                        Sample(text, group.Key, series.Labels, null, series.Value);
                    }
                }
            }
        }
        return text.ToString();
    }

    /// <summary>The Prometheus name of an instrument (see the class comment).</summary>
    public static string MetricName(string instrumentName, string? unit, bool counter)
    {
        ArgumentNullException.ThrowIfNull(instrumentName);
        var name = Sanitize(instrumentName, allowColon: true);
        var suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            name += suffix;
        }
        if (counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        return name;
    }

    /// <summary>A label value inside double quotes: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>HELP text: backslash and line feed escaped.</summary>
    public static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    public static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string MetricName(MetricFamily family) =>
        MetricName(family.Instrument.Name, family.Instrument.Unit, family.Kind == MetricKind.Counter);

    private static void WriteHistogram(StringBuilder text, string name, MetricFamily family, MetricSeries series)
    {
        var (cumulative, sum, count) = series.Histogram();
        for (var i = 0; i < family.Bounds.Length; i++)
        {
            Sample(text, name + "_bucket", series.Labels, FormatValue(family.Bounds[i]), cumulative[i]);
        }
        Sample(text, name + "_bucket", series.Labels, "+Inf", count);
        Sample(text, name + "_sum", series.Labels, null, sum);
        Sample(text, name + "_count", series.Labels, null, count);
    }

    private static void Sample(StringBuilder text, string name, KeyValuePair<string, string>[] labels, string? le, double value)
    {
        text.Append(name);
        if (labels.Length > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (key, v) in labels)
            {
                text.Append(first ? "" : ",").Append(Sanitize(key, allowColon: false)).Append("=\"").Append(EscapeLabelValue(v)).Append('"');
                first = false;
            }
            if (le is not null)
            {
                text.Append(first ? "" : ",").Append("le=\"").Append(le).Append('"');
            }
            text.Append('}');
        }
        text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    private static string Sanitize(string name, bool allowColon)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':')))
            {
                chars[i] = '_';
            }
        }
        var result = new string(chars);
        return result.Length == 0 || char.IsAsciiDigit(result[0]) ? "_" + result : result;
    }
}
