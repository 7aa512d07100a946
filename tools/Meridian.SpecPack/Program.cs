using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.Fhir.Specification;

// Compiles hl7.fhir.r4.core (zip of the NPM package) into the embedded spec pack.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Meridian.SpecPack <hl7.fhir.r4.core-4.0.1.zip> <out.pack.json.br>");
    return 2;
}

var files = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
using (var zip = ZipFile.OpenRead(args[0]))
{
    foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(".json", StringComparison.Ordinal)))
    {
        using var s = entry.Open();
        if (JsonNode.Parse(s) is JsonObject o && o["resourceType"] is not null)
        {
            files[entry.Name] = o;
        }
    }
}

string? Str(JsonNode? n) => n?.GetValue<string>();
IEnumerable<JsonObject> OfType(string rt) => files.Values.Where(o => Str(o["resourceType"]) == rt);
string Last(string url) => url[(url.LastIndexOf('/') + 1)..];

var structures = OfType("StructureDefinition").ToList();
var types = new List<PackType>();
foreach (var sd in structures)
{
    var kind = Str(sd["kind"])!;
    var derivation = Str(sd["derivation"]);
    var type = Str(sd["type"])!;
    var include = kind is "primitive-type" or "complex-type" or "resource"
        && (derivation is null or "specialization" || (derivation == "constraint" && kind == "complex-type" && type != "Extension"));
    if (!include)
    {
        continue;
    }
    var elements = new List<PackElement>();
    string? regex = null;
    if (sd["snapshot"]?["element"] is not JsonArray snapshot)
    {
        Console.Error.WriteLine($"skipped {Str(sd["url"])}: no snapshot");
        continue;
    }
    foreach (var e in snapshot.Select(x => x!.AsObject()))
    {
        var path = Str(e["path"])!;
        if (e["sliceName"] is not null)
        {
            continue;
        }
        var typeRefs = new List<PackTypeRef>();
        foreach (var t in e["type"]?.AsArray().Select(x => x!.AsObject()) ?? [])
        {
            var code = Str(t["code"])!;
            var exts = t["extension"]?.AsArray().Select(x => x!.AsObject()).ToList() ?? [];
            var fhirType = exts.FirstOrDefault(x => Str(x["url"]) == "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type");
            var isPrimitiveValue = kind == "primitive-type" && path.EndsWith(".value", StringComparison.Ordinal);
            if (fhirType is not null && !isPrimitiveValue)
            {
                code = Str(fhirType["valueUrl"]) ?? Str(fhirType["valueUri"]) ?? code;
            }
            if (isPrimitiveValue)
            {
                regex = Str(exts.FirstOrDefault(x => Str(x["url"]) == "http://hl7.org/fhir/StructureDefinition/regex")?["valueString"]);
            }
            typeRefs.Add(new PackTypeRef
            {
                Code = code,
                TargetProfiles = t["targetProfile"]?.AsArray().Select(x => Str(x)!).ToList(),
                Profiles = t["profile"]?.AsArray().Select(x => Str(x)!).ToList(),
            });
        }
        var binding = e["binding"]?.AsObject();
        elements.Add(new PackElement
        {
            Path = path,
            Min = e["min"]?.GetValue<int>() ?? 0,
            Max = Str(e["max"]) ?? "*",
            Types = typeRefs.Count > 0 ? typeRefs : null,
            ContentReference = Str(e["contentReference"]),
            BindingStrength = Str(binding?["strength"]),
            BindingValueSet = Str(binding?["valueSet"]),
            Constraints = e["constraint"]?.AsArray().Select(x => x!.AsObject())
                .Where(c => c["expression"] is not null)
                .Select(c => new PackConstraint
                {
                    Key = Str(c["key"])!,
                    Severity = Str(c["severity"])!,
                    Expression = Str(c["expression"])!,
                    Human = Str(c["human"]) ?? "",
                }).ToList() is { Count: > 0 } list ? list : null,
            Summary = e["isSummary"]?.GetValue<bool>() ?? false,
            Modifier = e["isModifier"]?.GetValue<bool>() ?? false,
            MaxLength = e["maxLength"]?.GetValue<int>(),
        });
    }
    var baseDef = Str(sd["baseDefinition"]);
    types.Add(new PackType
    {
        Name = derivation == "constraint" ? Str(sd["name"])! : type,
        Url = Str(sd["url"])!,
        Kind = kind,
        Abstract = sd["abstract"]?.GetValue<bool>() ?? false,
        Base = baseDef is null ? null : Last(baseDef),
        Constrains = derivation == "constraint" ? type : null,
        Regex = regex,
        Elements = elements,
    });
}

// Ten extension search parameters in the package (valueset-/codesystem-extensions-*) carry
// only an xpath such as f:ValueSet/f:extension[@url='...']: base and expression follow from it.
var xpathExtension = new System.Text.RegularExpressions.Regex(@"^f:(\w+)/f:extension\[@url='([^']+)'\]");
// The package also carries three example SearchParameters (ids "example", "example-extension",
// "example-reference") that duplicate real codes (_id, Condition.subject): they are not part of R4.
var searchParameters = OfType("SearchParameter")
    .Where(p => p["url"] is not null && p["code"] is not null && p["type"] is not null)
    .Where(p => !(Str(p["id"]) ?? "").StartsWith("example", StringComparison.Ordinal))
    .OrderBy(p => Str(p["url"]), StringComparer.Ordinal).Select(p =>
{
    var fromXpath = xpathExtension.Match(Str(p["xpath"]) ?? "");
    return new PackSearchParameter
    {
        Url = Str(p["url"])!,
        Code = Str(p["code"])!,
        Base = p["base"]?.AsArray().Select(x => Str(x)!).ToList()
            ?? (fromXpath.Success ? [fromXpath.Groups[1].Value] : throw new InvalidDataException($"{Str(p["url"])}: no base")),
        Type = Str(p["type"])!,
        Expression = Str(p["expression"])
            ?? (fromXpath.Success ? $"{fromXpath.Groups[1].Value}.extension('{fromXpath.Groups[2].Value}')" : null),
    Target = p["target"]?.AsArray().Select(x => Str(x)!).ToList(),
    Modifier = p["modifier"]?.AsArray().Select(x => Str(x)!).ToList(),
    Comparator = p["comparator"]?.AsArray().Select(x => Str(x)!).ToList(),
    Component = p["component"]?.AsArray().Select(x => x!.AsObject()).Select(c => new PackSearchComponent
    {
        Definition = Str(c["definition"])!,
        Expression = Str(c["expression"])!,
    }).ToList(),
    };
}).ToList();

// Value sets: expand every one that a required binding of an included type uses.
var codeSystems = OfType("CodeSystem").GroupBy(c => Str(c["url"])!).ToDictionary(g => g.Key, g => g.First());
var valueSetsByUrl = OfType("ValueSet").GroupBy(v => Str(v["url"])!).ToDictionary(g => g.Key, g => g.First());
var required = types.SelectMany(t => t.Elements)
    .Where(e => e.BindingStrength == "required" && e.BindingValueSet is not null)
    .Select(e => e.BindingValueSet!.Split('|')[0]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

IEnumerable<string> AllCodes(JsonArray? concepts)
{
    foreach (var c in concepts?.Select(x => x!.AsObject()) ?? [])
    {
        yield return Str(c["code"])!;
        foreach (var sub in AllCodes(c["concept"]?.AsArray()))
        {
            yield return sub;
        }
    }
}

(bool Enumerable, Dictionary<string, HashSet<string>> Codes) Expand(string url, HashSet<string> visiting)
{
    var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
    if (!valueSetsByUrl.TryGetValue(url, out var vs) || !visiting.Add(url))
    {
        return (false, result);
    }
    var enumerable = true;
    var compose = vs["compose"]?.AsObject();
    foreach (var inc in compose?["include"]?.AsArray().Select(x => x!.AsObject()) ?? [])
    {
        var system = Str(inc["system"]);
        HashSet<string>? codes = null;
        if (inc["concept"] is JsonArray listed)
        {
            codes = [.. listed.Select(c => Str(c!["code"])!)];
        }
        else if (system is not null)
        {
            if (inc["filter"] is not null || !codeSystems.TryGetValue(system, out var cs) || Str(cs["content"]) != "complete")
            {
                enumerable = false;
            }
            else
            {
                codes = [.. AllCodes(cs["concept"]?.AsArray())];
            }
        }
        foreach (var imported in inc["valueSet"]?.AsArray().Select(x => Str(x)!) ?? [])
        {
            var (ok, sub) = Expand(imported.Split('|')[0], visiting);
            enumerable &= ok;
            foreach (var (s, cs2) in sub)
            {
                if (!result.TryGetValue(s, out var set))
                {
                    result[s] = set = [];
                }
                set.UnionWith(cs2);
            }
        }
        if (system is not null && codes is not null)
        {
            if (!result.TryGetValue(system, out var set))
            {
                result[system] = set = [];
            }
            set.UnionWith(codes);
        }
    }
    foreach (var exc in compose?["exclude"]?.AsArray().Select(x => x!.AsObject()) ?? [])
    {
        var system = Str(exc["system"]);
        if (system is not null && result.TryGetValue(system, out var set) && exc["concept"] is JsonArray listed)
        {
            set.ExceptWith(listed.Select(c => Str(c!["code"])!));
        }
    }
    visiting.Remove(url);
    return (enumerable, result);
}

var valueSets = new List<PackValueSet>();
foreach (var url in required)
{
    var (enumerable, codes) = Expand(url, []);
    valueSets.Add(new PackValueSet
    {
        Url = url,
        Enumerable = enumerable && codes.Count > 0,
        Systems = codes.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new PackCodeSystemCodes { System = kv.Key, Codes = [.. kv.Value.Order(StringComparer.Ordinal)] }).ToList(),
    });
}

var compartments = OfType("CompartmentDefinition")
    .Where(c => !(Str(c["id"]) ?? "").Contains("example", StringComparison.Ordinal))
    .Select(c => new PackCompartment
{
    Code = Str(c["code"])!,
    Resources = c["resource"]!.AsArray().Select(x => x!.AsObject())
        .Where(r => r["param"] is not null)
        .ToDictionary(r => Str(r["code"])!, r => r["param"]!.AsArray().Select(p => Str(p)!).ToList()),
}).OrderBy(c => c.Code, StringComparer.Ordinal).ToList();

var pack = new SpecPack
{
    FhirVersion = Str(files.Values.First(o => Str(o["resourceType"]) == "StructureDefinition")["fhirVersion"]) ?? "4.0.1",
    Types = [.. types.OrderBy(t => t.Name, StringComparer.Ordinal)],
    SearchParameters = searchParameters,
    ValueSets = valueSets,
    Compartments = compartments,
};

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[1]))!);
await using (var outFile = File.Create(args[1]))
await using (var brotli = new BrotliStream(outFile, CompressionLevel.SmallestSize))
{
    await JsonSerializer.SerializeAsync(brotli, pack, SpecPackJsonContext.Default.SpecPack);
}
Console.WriteLine($"types {types.Count}, search parameters {searchParameters.Count}, value sets {valueSets.Count} " +
    $"({valueSets.Count(v => v.Enumerable)} enumerable), compartments {compartments.Count} -> {new FileInfo(args[1]).Length:N0} bytes");
return 0;
