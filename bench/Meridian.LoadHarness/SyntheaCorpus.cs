using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Meridian.LoadHarness;

/// <summary>
/// The Synthea transaction Bundles as text, and variants of them: copy k renames every family
/// name (so name searches stay as selective as in the original) and moves every date and instant
/// k·7 days later (so date searches do not all hit the same days). Ids are assigned by the server
/// (every entry is a POST), so each copy creates new resources.
/// </summary>
internal sealed partial class SyntheaCorpus
{
    private SyntheaCorpus(IReadOnlyList<string> bundles, IReadOnlyList<string> families, IReadOnlyList<string> observations, int resources)
    {
        Bundles = bundles;
        Families = families;
        ObservationTemplates = observations;
        ResourcesPerCopy = resources;
    }

    public IReadOnlyList<string> Bundles { get; }

    /// <summary>Family names of copy 0.</summary>
    public IReadOnlyList<string> Families { get; }

    /// <summary>Observations without id and encounter, subject "Patient/{PATIENT}" to fill in.</summary>
    public IReadOnlyList<string> ObservationTemplates { get; }

    public int ResourcesPerCopy { get; }

    public const string PatientPlaceholder = "{PATIENT}";

    public static SyntheaCorpus Load(string directory)
    {
        var bundles = new List<string>();
        var families = new List<string>();
        var observations = new List<string>();
        var resources = 0;
        foreach (var file in Directory.GetFiles(directory, "*.json.gz").Order(StringComparer.Ordinal))
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var reader = new StreamReader(gz, Encoding.UTF8);
            var text = reader.ReadToEnd();
            bundles.Add(text);
            var entries = JsonNode.Parse(text)!["entry"]!.AsArray();
            resources += entries.Count;
            foreach (var entry in entries)
            {
                var resource = entry!["resource"]!.AsObject();
                var type = resource["resourceType"]!.GetValue<string>();
                if (type == "Patient")
                {
                    families.Add(resource["name"]![0]!["family"]!.GetValue<string>());
                }
                else if (type == "Observation" && observations.Count < 2000)
                {
                    resource.Remove("id");
                    resource.Remove("encounter");
                    resource["subject"] = new JsonObject { ["reference"] = "Patient/" + PatientPlaceholder };
                    observations.Add(resource.ToJsonString());
                }
            }
        }
        return new SyntheaCorpus(bundles, families, observations, resources);
    }

    /// <summary>The suffix copy k appends to family names ("" for copy 0).</summary>
    public static string FamilySuffix(int copy)
    {
        if (copy == 0)
        {
            return "";
        }
        var sb = new StringBuilder("q");
        for (var k = copy; k > 0; k /= 26)
        {
            sb.Append((char)('a' + (k % 26)));
        }
        return sb.ToString();
    }

    public string Variant(int bundle, int copy)
    {
        var text = Bundles[bundle];
        if (copy == 0)
        {
            return text;
        }
        var suffix = FamilySuffix(copy);
        text = FamilyPattern().Replace(text, m => m.Groups[1].Value + suffix + "\"");
        var days = 7 * copy;
        return DatePattern().Replace(text, m => Shift(m, days));
    }

    private static string Shift(Match m, int days)
    {
        var date = new DateOnly(int.Parse(m.Groups[1].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(m.Groups[3].ValueSpan, provider: System.Globalization.CultureInfo.InvariantCulture)).AddDays(days);
        return "\"" + date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("(\"family\": *\"[^\"]*)\"")]
    private static partial Regex FamilyPattern();

    // A JSON string that starts with a full date (date, dateTime, instant values).
    [GeneratedRegex("\"(\\d{4})-(\\d{2})-(\\d{2})(?=[T\"])")]
    private static partial Regex DatePattern();
}
