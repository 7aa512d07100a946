namespace Meridian.Hl7.Tests;

/// <summary>
/// Seeded mutations of real messages (bit flips, deletions, insertions of delimiters and line
/// breaks, truncation, splices). Bounded by count: the parser must never throw, and every
/// message it accepts must write back to the exact bytes it was given.
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 4_000;

    private static readonly byte[] s_interesting = "|^~\\&#\r\n\"MSH\x0b\x1c\0\xff"u8.ToArray();

    [Theory]
    [InlineData(20241122)]
    [InlineData(7)]
    public void Mutated_messages_never_throw_and_accepted_ones_round_trip(int seed)
    {
        var random = new Random(seed);
        var corpus = Hl7Corpus.ValidMessages().Where((_, i) => i % 7 == 0).Select(Hl7Corpus.Read).ToArray();
        var accepted = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Length)], corpus[random.Next(corpus.Length)], random);

            var result = Hl7Parser.Parse(input);
            var batch = Hl7Parser.ParseBatch(input);

            // An error issue comes exactly when no message comes out.
            Assert.Equal(result.Message is null, result.Errors.Any());
            if (result.Message is { } message)
            {
                accepted++;
                Assert.True(input.AsSpan().SequenceEqual(Hl7Writer.ToBytes(message)) || result.Warnings.Any(w => w.Code == Hl7IssueCodes.MultipleMessages),
                    $"seed {seed} iteration {i}: accepted input did not round-trip");
                Walk(message);
            }
            Assert.Equal(input, Hl7Writer.ToBytes(batch));
        }
        Assert.InRange(accepted, Iterations / 10, Iterations);
    }

    private static void Walk(Hl7Message message)
    {
        _ = message.Header.AckRequest;
        _ = message.Header.DateTimeOfMessage;
        foreach (var segment in message.Segments.Take(50))
        {
            foreach (var field in segment.Fields.Take(60))
            {
                _ = field.Text;
                foreach (var rep in field.Repetitions.Take(10))
                {
                    _ = rep.Component("family").Value;
                    _ = rep.AsDateTime();
                }
            }
        }
        _ = Hl7AckBuilder.Build(message, Hl7AckCode.AE, new Hl7AckOptions { Text = "x", Errors = [new Hl7AckError("102", "y", "PID-3")] }).ToString();
    }

    private static byte[] Mutate(byte[] source, byte[] other, Random random)
    {
        var bytes = new List<byte>(source);
        var edits = random.Next(1, 8);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
                case 2:
                    bytes.Insert(at, s_interesting[random.Next(s_interesting.Length)]);
                    break;
                case 3:
                    bytes[at] = s_interesting[random.Next(s_interesting.Length)];
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    var from = random.Next(other.Length);
                    bytes.InsertRange(at, other.Skip(from).Take(random.Next(1, 200)));
                    break;
            }
        }
        return [.. bytes];
    }
}
