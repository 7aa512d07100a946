using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Meridian.Cli.Tests.Import.Support;

/// <summary>
/// What the Synthea bundles should produce, computed straight from the files with
/// System.Text.Json (not through Meridian's parser, validator or search indexer): distinct
/// resources per type (the import stores a urn:uuid POST as PUT Type/uuid, so the Organizations
/// and Practitioners repeated across bundles are one resource each), and the expected answers
/// of a few searches.
/// </summary>
public sealed record SyntheaFacts(
    IReadOnlyDictionary<string, int> CountsByType,
    int Entries,
    string Family,
    int FamilyMatches,
    string PatientId,
    string ObservationCode,
    int ObservationMatches,
    string ObservationId,
    string EncounterDate,
    int EncountersFrom)
{
    private const string Uuid = "urn:uuid:";

    public static SyntheaFacts Compute(string directory)
    {
        var files = Directory.GetFiles(directory, "*.json.gz").OrderBy(f => f, StringComparer.Ordinal).ToList();
        var ids = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var families = new List<List<string>>();
        var encounterEnds = new List<DateTimeOffset?>();
        var entries = 0;
        string? patientFullUrl = null;
        string? family = null;
        var codes = new Dictionary<string, List<string>>(StringComparer.Ordinal); // system|code -> observation ids of the first patient
        foreach (var file in files)
        {
            using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
            using var doc = JsonDocument.Parse(gz);
            var first = patientFullUrl is null;
            foreach (var entry in doc.RootElement.GetProperty("entry").EnumerateArray())
            {
                entries++;
                var resource = entry.GetProperty("resource");
                var type = resource.GetProperty("resourceType").GetString()!;
                var fullUrl = entry.GetProperty("fullUrl").GetString()!;
                if (!ids.TryGetValue(type, out var set))
                {
                    ids[type] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                if (!set.Add(fullUrl))
                {
                    continue; // a repeated Organization/Practitioner: one resource
                }
                switch (type)
                {
                    case "Patient":
                        var names = resource.TryGetProperty("name", out var n)
                            ? n.EnumerateArray().Where(x => x.TryGetProperty("family", out _)).Select(x => x.GetProperty("family").GetString()!).ToList()
                            : [];
                        families.Add(names);
                        if (first)
                        {
                            patientFullUrl = fullUrl;
                            family = names[0];
                        }
                        break;
                    case "Encounter":
                        encounterEnds.Add(PeriodEnd(resource));
                        break;
                    case "Observation" when first && resource.GetProperty("subject").GetProperty("reference").GetString() == patientFullUrl:
                        foreach (var coding in resource.GetProperty("code").GetProperty("coding").EnumerateArray())
                        {
                            var key = coding.GetProperty("system").GetString() + "|" + coding.GetProperty("code").GetString();
                            if (!codes.TryGetValue(key, out var list))
                            {
                                codes[key] = list = [];
                            }
                            list.Add(fullUrl[Uuid.Length..]);
                        }
                        break;
                }
            }
        }
        var (code, observations) = codes.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal).First();
        var (date, from) = PickDate(encounterEnds);
        return new SyntheaFacts(
            ids.ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal),
            entries,
            family!,
            families.Count(names => names.Any(f => f.StartsWith(family!, StringComparison.OrdinalIgnoreCase))),
            patientFullUrl![Uuid.Length..],
            code,
            observations.Count,
            observations[0],
            date,
            from);
    }

    /// <summary>The end of Encounter.period (its start when open-ended with a start only is still ongoing: null).</summary>
    private static DateTimeOffset? PeriodEnd(JsonElement encounter)
    {
        var period = encounter.GetProperty("period");
        return period.TryGetProperty("end", out var end)
            ? DateTimeOffset.Parse(end.GetString()!, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>
    /// A day D for <c>date=geD</c>: a period matches when it ends on or after D (or has no end).
    /// D is chosen so that no encounter ends within 36 hours of it, so time zones and the
    /// precision of D cannot change the answer, and so that it splits the encounters.
    /// </summary>
    private static (string Date, int Matches) PickDate(List<DateTimeOffset?> ends)
    {
        for (var d = new DateTimeOffset(2012, 1, 1, 0, 0, 0, TimeSpan.Zero); d.Year < 2022; d = d.AddDays(7))
        {
            var near = ends.Any(e => e is { } x && Math.Abs((x - d).TotalHours) < 36);
            var matches = ends.Count(e => e is null || e.Value >= d);
            if (!near && matches > ends.Count / 10 && matches < ends.Count * 9 / 10)
            {
                return (d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), matches);
            }
        }
        throw new InvalidOperationException("no date splits the encounters");
    }
}
