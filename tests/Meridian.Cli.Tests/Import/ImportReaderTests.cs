using System.Text.Json.Nodes;
using Meridian.Cli.Import;
using Meridian.Cli.Tests.Import.Support;

namespace Meridian.Cli.Tests.Import;

/// <summary>The readers turn files into commit units: chunks with line numbers, whole transaction Bundles, read failures.</summary>
public sealed class ImportReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<List<ImportUnit>> ReadAsync(string path, long start = 0, int chunk = 2, bool serverIds = false)
    {
        var (files, problems) = ImportSources.Discover([path]);
        Assert.Empty(problems);
        var file = Assert.Single(files);
        var units = new List<ImportUnit>();
        var reader = file.Kind == SourceKind.Ndjson
            ? NdjsonReader.ReadAsync(file, start, chunk, serverIds)
            : BundleFileReader.ReadAsync(file, start, chunk, serverIds);
        await foreach (var u in reader)
        {
            units.Add(u);
        }
        return units;
    }

    private static JsonObject Request(ImportUnit unit, int i) => (JsonObject)unit.Bundle["entry"]![i]!["request"]!;

    [Fact]
    public async Task Ndjson_is_chunked_into_transactions_with_line_numbers_and_idempotent_puts()
    {
        var path = await Inputs.WriteAsync(_dir.File("p.ndjson"), Inputs.PatientsNdjson(5));
        var units = await ReadAsync(path);
        Assert.Equal([2L, 4L, 5L], units.Select(u => u.EndPosition));
        Assert.Equal([false, false, true], units.Select(u => u.EndOfFile));
        Assert.All(units, u => Assert.Equal("transaction", u.Bundle["type"]!.GetValue<string>()));
        Assert.Equal([5], units[2].Entries.Select(e => e.Line!.Value));
        Assert.Equal("PUT", Request(units[0], 1)["method"]!.GetValue<string>());
        Assert.Equal("Patient/p2", Request(units[0], 1)["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task Gzipped_ndjson_reads_like_plain_and_resumes_after_a_line()
    {
        var path = await Inputs.WriteAsync(_dir.File("p.ndjson.gz"), Inputs.PatientsNdjson(5), gzip: true);
        var units = await ReadAsync(path, start: 3, chunk: 10);
        var unit = Assert.Single(units);
        Assert.Equal([4, 5], unit.Entries.Select(e => e.Line!.Value));
        Assert.Equal(["p4", "p5"], unit.Entries.Select(e => e.Id!));
    }

    [Fact]
    public async Task Malformed_and_non_resource_lines_are_failures_of_their_line_not_of_the_file()
    {
        var content = Inputs.Patient(1) + "\n{\"resourceType\": \"Patient\",\n[1,2]\n\n{\"id\":\"x\"}\n" + Inputs.Patient(6) + "\n";
        var path = await Inputs.WriteAsync(_dir.File("mixed.ndjson"), content);
        var units = await ReadAsync(path, chunk: 100);
        var unit = Assert.Single(units);
        Assert.Equal([1, 6], unit.Entries.Select(e => e.Line!.Value));
        Assert.Equal([2, 3, 5], unit.ReadFailures.Select(f => f.Line!.Value));
        Assert.StartsWith("Malformed JSON", unit.ReadFailures[0].Diagnostics, StringComparison.Ordinal);
        Assert.Equal("Not a JSON object.", unit.ReadFailures[1].Diagnostics);
        Assert.All(unit.ReadFailures, f => Assert.Equal(0, f.Status));
        Assert.Equal(6, unit.EndPosition);
    }

    [Fact]
    public async Task A_transaction_bundle_is_one_atomic_unit_with_urn_uuid_posts_turned_into_puts()
    {
        var path = await Inputs.WriteAsync(_dir.File("b.json.gz"), Inputs.TransactionBundle("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"), gzip: true);
        var unit = Assert.Single(await ReadAsync(path));
        Assert.True(unit.Atomic);
        Assert.True(unit.EndOfFile);
        Assert.Equal(["Patient", "Observation"], unit.Entries.Select(e => e.ResourceType!));
        Assert.Equal("Patient/11111111-1111-1111-1111-111111111111", Request(unit, 0)["url"]!.GetValue<string>());
        Assert.Equal("11111111-1111-1111-1111-111111111111", unit.Bundle["entry"]![0]!["resource"]!["id"]!.GetValue<string>());
        // the reference stays urn:uuid: the server's transaction maps it to the PUT's Type/id
        Assert.Equal("urn:uuid:11111111-1111-1111-1111-111111111111", unit.Bundle["entry"]![1]!["resource"]!["subject"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task Server_ids_keep_the_bundles_posts()
    {
        var path = await Inputs.WriteAsync(_dir.File("b.json"), Inputs.TransactionBundle("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"));
        var unit = Assert.Single(await ReadAsync(path, serverIds: true));
        Assert.Equal("POST", Request(unit, 0)["method"]!.GetValue<string>());
        Assert.Equal("Patient", Request(unit, 0)["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_collection_bundle_is_chunked_by_entry_and_resumes_at_an_entry()
    {
        var entries = string.Join(",", Enumerable.Range(1, 5).Select(i => $$"""{"resource":{{Inputs.Patient(i)}}}"""));
        var path = await Inputs.WriteAsync(_dir.File("c.json"), $$"""{"resourceType":"Bundle","type":"collection","entry":[{{entries}},{"fullUrl":"x"}]}""");
        var units = await ReadAsync(path, start: 1, chunk: 2);
        Assert.Equal([3L, 5L, 6L], units.Select(u => u.EndPosition));
        Assert.Equal([1, 2], units[0].Entries.Select(e => e.Entry!.Value));
        Assert.Equal(5, Assert.Single(units[2].ReadFailures).Entry);
        Assert.All(units, u => Assert.False(u.Atomic));
    }

    [Fact]
    public async Task A_single_resource_file_is_stored_as_itself_and_malformed_json_is_a_file_failure()
    {
        var single = await Inputs.WriteAsync(_dir.File("one.json"), Inputs.Patient(7));
        var unit = Assert.Single(await ReadAsync(single));
        Assert.Equal("Patient/p7", Request(unit, 0)["url"]!.GetValue<string>());

        var broken = await Inputs.WriteAsync(_dir.File("broken.json"), "{\"resourceType\": ");
        var failed = Assert.Single(await ReadAsync(broken));
        Assert.Empty(failed.Entries);
        Assert.StartsWith("Malformed JSON", Assert.Single(failed.ReadFailures).Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directories_are_read_recursively_in_a_stable_order_and_unknown_files_ignored()
    {
        Directory.CreateDirectory(_dir.File("b"));
        Directory.CreateDirectory(_dir.File("a"));
        await Inputs.WriteAsync(_dir.File("b/2.ndjson"), "");
        await Inputs.WriteAsync(_dir.File("a/1.json.gz"), "", gzip: true);
        await Inputs.WriteAsync(_dir.File("a/readme.txt"), "");
        await Inputs.WriteAsync(_dir.File("z.jsonl"), "");
        var (files, problems) = ImportSources.Discover([_dir.Path, _dir.File("missing.ndjson")]);
        Assert.Equal(["a/1.json.gz", "b/2.ndjson", "z.jsonl"], files.Select(f => Path.GetRelativePath(_dir.Path, f.Path)));
        Assert.Equal([SourceKind.Json, SourceKind.Ndjson, SourceKind.Ndjson], files.Select(f => f.Kind));
        Assert.Contains("no such file", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Urn_uuid_references_of_a_collection_resolve_across_chunks()
    {
        var path = await Inputs.WriteAsync(_dir.File("c.json"), """
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:3f1c0000-0000-0000-0000-000000000001","resource":{"resourceType":"Patient"}},
              {"fullUrl":"urn:uuid:3f1c0000-0000-0000-0000-000000000002","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},
                "subject":{"reference":"urn:uuid:3f1c0000-0000-0000-0000-000000000001"},
                "hasMember":[{"reference":"urn:uuid:3f1c0000-0000-0000-0000-000000000009"}]}}]}
            """);
        var units = await ReadAsync(path, chunk: 1);
        var observation = units[1].Bundle["entry"]![0]!["resource"]!;
        Assert.Equal("Patient/3f1c0000-0000-0000-0000-000000000001", observation["subject"]!["reference"]!.GetValue<string>());
        Assert.Equal("urn:uuid:3f1c0000-0000-0000-0000-000000000009", observation["hasMember"]![0]!["reference"]!.GetValue<string>()); // not in the file: left alone
        Assert.Equal("Observation/3f1c0000-0000-0000-0000-000000000002", Request(units[1], 0)["url"]!.GetValue<string>());
    }
}
