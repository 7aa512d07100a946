using System.Diagnostics;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Serialization;

/// <summary>
/// Bounded mutation fuzzing over the official examples: every mutated input must come back as
/// a result (resource and/or issues), never an exception, and whatever parses must write and
/// parse again. Seeded, so a failure reproduces; bounded in count and in time.
/// </summary>
public class MutationFuzzTests
{
    private const int Mutations = 4000;
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(40);

    [Fact]
    public void Mutated_examples_never_throw_and_always_explain_rejection()
    {
        var files = Directory.GetFiles(SharedData.PathOf("fhir-examples"), "*.json")
            .Where(f => new FileInfo(f).Length < 64 * 1024).Order(StringComparer.Ordinal).ToArray();
        var rng = new Random(20261121);
        var sw = Stopwatch.StartNew();
        var rejected = 0;
        var done = 0;
        for (; done < Mutations && sw.Elapsed < s_budget; done++)
        {
            var original = File.ReadAllBytes(files[rng.Next(files.Length)]);
            var mutated = Mutate(original, rng);
            ParseResult result;
            try
            {
                result = FhirJsonParser.R4.Parse(mutated);
            }
            catch (Exception ex)
            {
                Assert.Fail($"mutation {done} threw {ex.GetType().Name}: {ex.Message}");
                return;
            }
            if (result.Resource is null)
            {
                rejected++;
                Assert.NotEmpty(result.Issues);
                continue;
            }
            var written = FhirJsonWriter.ToUtf8(result.Resource);
            var again = FhirJsonParser.R4.Parse(written);
            Assert.NotNull(again.Resource);
        }
        Assert.True(done >= 500, $"only {done} mutations ran within the budget");
        Assert.True(rejected > 0, "no mutation was rejected: the mutator is not mutating");
    }

    private static byte[] Mutate(byte[] input, Random rng)
    {
        var data = input.ToList();
        var rounds = 1 + rng.Next(4);
        for (var r = 0; r < rounds && data.Count > 2; r++)
        {
            var pos = rng.Next(data.Count);
            switch (rng.Next(7))
            {
                case 0:
                    data[pos] = (byte)rng.Next(256);
                    break;
                case 1:
                    data.RemoveRange(pos, Math.Min(1 + rng.Next(16), data.Count - pos));
                    break;
                case 2:
                    var len = Math.Min(1 + rng.Next(64), data.Count - pos);
                    data.InsertRange(rng.Next(data.Count), data.GetRange(pos, len));
                    break;
                case 3:
                    data.InsertRange(pos, Tokens[rng.Next(Tokens.Length)].Select(c => (byte)c));
                    break;
                case 4:
                    data.RemoveRange(pos, data.Count - pos);
                    break;
                case 5:
                    // Swap a quote for a digit or a brace: shape changes the parser must survive.
                    var q = data.IndexOf((byte)'"', pos);
                    if (q >= 0)
                    {
                        data[q] = (byte)"1{[]}:,"[rng.Next(7)];
                    }
                    break;
                default:
                    data.InsertRange(pos, new byte[] { 0xC0 | 0x03, (byte)rng.Next(256) });
                    break;
            }
        }
        return [.. data];
    }

    private static readonly string[] Tokens =
    [
        "null", "[]", "{}", "\"\"", "1e400", "-0", "true", "\"_x\":{}", "\"resourceType\":\"Patient\",",
        "\"extension\":[{}],", "\\u0000", "\"contained\":[{\"resourceType\":\"Bundle\"}],", "[[[[[[[[", "\"value\":1.000000000000000000000000001,",
    ];
}
