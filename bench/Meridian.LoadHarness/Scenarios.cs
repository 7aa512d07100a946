using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.LoadHarness;

/// <summary>The measured interactions, each a <see cref="LoadRunner"/> run over one HttpClient.</summary>
internal sealed partial class Scenarios(HttpClient http, string root, SyntheaCorpus corpus, HarnessOptions options)
{
    private static readonly string[] s_codes = ["8302-2", "29463-7", "8480-6", "72166-2", "39156-5", "55284-4"];

    /// <summary>Patient ids per loaded copy (index = copy) as the transaction responses named them.</summary>
    public ConcurrentDictionary<int, ConcurrentBag<string>> Patients { get; } = new();

    public ConcurrentBag<string> CreatedObservations { get; } = [];

    /// <summary>Posts copies [from, to) of every Bundle as transactions; units are resources.</summary>
    public Task<ScenarioResult> IngestAsync(string name, int from, int to)
    {
        var perCopy = corpus.Bundles.Count;
        var total = (long)(to - from) * perCopy;
        return LoadRunner.RunAsync(name, "resources", options.IngestConcurrency, TimeSpan.FromHours(2), total, async (_, seq, ct) =>
        {
            var copy = from + (int)(seq / perCopy);
            var bundle = (int)(seq % perCopy);
            var body = corpus.Variant(bundle, copy);
            using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
            using var response = await http.PostAsync(root, content, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            Ensure(response, text);
            var patient = PatientLocation().Match(text);
            if (patient.Success)
            {
                Patients.GetOrAdd(copy, _ => []).Add(patient.Groups[1].Value);
            }
            return EntryCount(body);
        });
    }

    public Task<ScenarioResult> CreateAsync()
    {
        var patients = AllPatients();
        return LoadRunner.RunAsync("create Observation", "creates", options.Concurrency, Duration, long.MaxValue, async (_, seq, ct) =>
        {
            var template = corpus.ObservationTemplates[(int)(seq % corpus.ObservationTemplates.Count)];
            var body = template.Replace(SyntheaCorpus.PatientPlaceholder, patients[(int)(seq % patients.Length)], StringComparison.Ordinal);
            using var content = new StringContent(body, Encoding.UTF8, "application/fhir+json");
            using var response = await http.PostAsync(root + "/Observation", content, ct).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            Ensure(response, text);
            var location = response.Headers.Location?.ToString() ?? "";
            var id = location.Split('/') is { Length: >= 4 } parts ? parts[^3] : "";
            if (id.Length > 0)
            {
                CreatedObservations.Add(id);
            }
            return 1;
        });
    }

    public Task<ScenarioResult> ReadAsync()
    {
        var ids = CreatedObservations.ToArray();
        if (ids.Length == 0)
        {
            throw new InvalidOperationException("read needs the create scenario first");
        }
        return LoadRunner.RunAsync("read Observation by id", "reads", options.Concurrency, Duration, long.MaxValue, (_, seq, ct) =>
            GetAsync(root + "/Observation/" + ids[(int)((seq * 7919) % ids.Length)], ct));
    }

    /// <summary>The five typical searches, each timed on its own; queries rotate over loaded patients, names, codes and months.</summary>
    public async Task<IReadOnlyList<ScenarioResult>> SearchesAsync(string label)
    {
        var patients = AllPatients();
        var copies = Patients.Keys.Max() + 1;
        string Family(long seq) => corpus.Families[(int)(seq % corpus.Families.Count)] + SyntheaCorpus.FamilySuffix((int)(seq / 7 % copies));
        string Code(long seq) => s_codes[(int)(seq % s_codes.Length)];
        string Month(long seq) => $"date=ge{2012 + (seq % 8)}-{1 + (seq / 8 % 12):00}-01&date=lt{2012 + (seq % 8) + (seq / 8 % 12 == 11 ? 1 : 0)}-{1 + ((seq / 8 % 12) + 1) % 12:00}-01";
        string Patient(long seq) => patients[(int)((seq * 7919) % patients.Length)];
        var searches = new (string Name, Func<long, string> Query)[]
        {
            ("Patient?family=", s => "Patient?family=" + Family(s)),
            ("Observation?patient=&code=", s => $"Observation?patient={Patient(s)}&code=http://loinc.org|{Code(s)}"),
            ("Observation?code=&date=ge&date=lt", s => $"Observation?code=http://loinc.org|{Code(s)}&{Month(s)}"),
            ("Observation?patient=&code=&_include=patient", s => $"Observation?patient={Patient(s)}&code=http://loinc.org|{Code(s)}&_include=Observation:patient"),
            ("Patient?_has:Observation:patient:code=", s => $"Patient?_has:Observation:patient:code=http://loinc.org|{Code(s)}"),
        };
        var results = new List<ScenarioResult>();
        foreach (var (name, query) in searches)
        {
            var result = await LoadRunner.RunAsync($"{name} [{label}]", "searches", options.Concurrency, Duration, long.MaxValue, (_, seq, ct) =>
                GetAsync(root + "/" + query(seq), ct)).ConfigureAwait(false);
            Console.WriteLine("  " + result);
            results.Add(result);
        }
        return results;
    }

    private TimeSpan Duration => TimeSpan.FromSeconds(options.Seconds);

    private string[] AllPatients() => Patients.Values.SelectMany(p => p).ToArray();

    private async Task<int> GetAsync(string url, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Ensure(response, Encoding.UTF8.GetString(bytes));
        }
        return 1;
    }

    private static void Ensure(HttpResponseMessage response, string text)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {(text.Length > 400 ? text[..400] : text)}");
        }
    }

    // Counting "request" members is cheaper than parsing; every transaction entry has one.
    private static int EntryCount(string bundle) => RequestMember().Count(bundle);

    [GeneratedRegex("\"request\" *:")]
    private static partial Regex RequestMember();

    [GeneratedRegex("Patient/([A-Za-z0-9\\-\\.]{1,64})/_history")]
    private static partial Regex PatientLocation();
}
