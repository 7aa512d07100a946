using System.Collections.Immutable;
using System.Text.Json;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Serialization;

public sealed record FhirJsonParserOptions
{
    /// <summary>Largest input accepted, in bytes; larger input is rejected before it is parsed.</summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted. Real resources stay far below it; it bounds the
    /// recursion of every later walk over the tree.</summary>
    public int MaxDepth { get; init; } = 128;

    public static FhirJsonParserOptions Default { get; } = new();
}

/// <summary>The outcome of parsing: the resource tree (null when nothing usable was read) and
/// every structural issue found on the way.</summary>
public sealed record ParseResult(FhirNode? Resource, ImmutableArray<Issue> Issues)
{
    public bool HasErrors => Resource is null || Issues.Any(i => i.IsError);
}

/// <summary>
/// Reads FHIR JSON into the typed <see cref="FhirNode"/> tree, guided by the specification:
/// choice types, primitive extensions (<c>_birthDate</c>), contained resources. It never
/// throws on bad input: malformed JSON, wrong shapes, unknown or duplicate properties, invalid
/// UTF-8 and oversized input all come back as issues.
/// </summary>
public sealed partial class FhirJsonParser
{
    private readonly FhirSpec _spec;
    private readonly FhirJsonParserOptions _options;
    private readonly StructureType _elementType;

    public FhirJsonParser(FhirSpec spec, FhirJsonParserOptions? options = null)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _options = options ?? FhirJsonParserOptions.Default;
        _elementType = spec.FindType("Element") ?? throw new InvalidDataException("spec has no Element type");
    }

    public static FhirJsonParser R4 { get; } = new(FhirSpec.R4);

    public ParseResult Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json ?? ""));

    /// <summary>Parses one resource from UTF-8 bytes.</summary>
    /// <param name="expectedType">When given, any other resourceType is an error.</param>
    public ParseResult Parse(ReadOnlyMemory<byte> utf8, string? expectedType = null)
    {
        if (utf8.Length > _options.MaxBytes)
        {
            return Fail(IssueType.TooLong, $"The resource is {utf8.Length:N0} bytes; the limit is {_options.MaxBytes:N0} bytes.");
        }
        var span = utf8.Span;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            utf8 = utf8[3..];
            span = utf8.Span;
        }
        if (!System.Text.Unicode.Utf8.IsValid(span))
        {
            var (line, col) = PositionOfFirstInvalidUtf8(span);
            return new ParseResult(null, [new Issue(IssueSeverity.Fatal, IssueType.Structure,
                "The content is not valid UTF-8.", null, line, col)]);
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, new JsonDocumentOptions
            {
                MaxDepth = _options.MaxDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
        }
        catch (JsonException ex)
        {
            return new ParseResult(null, [new Issue(IssueSeverity.Fatal, IssueType.Structure,
                "Malformed JSON: " + CleanJsonMessage(ex.Message), null,
                (int?)(ex.LineNumber + 1), (int?)(ex.BytePositionInLine + 1))]);
        }
        using (doc)
        {
            return Parse(doc.RootElement, expectedType);
        }
    }

    /// <summary>Parses one resource from an already parsed JSON element.</summary>
    public ParseResult Parse(JsonElement root, string? expectedType = null)
    {
        var ctx = new Context();
        var node = ParseResource(root, null, null, RootPath.Instance, ctx);
        if (node is not null && expectedType is not null && node.TypeName != expectedType)
        {
            ctx.Error(IssueType.Invalid, $"Expected a {expectedType} resource but found {node.TypeName}.", node.TypeName);
        }
        return new ParseResult(node, ctx.Issues.ToImmutable());
    }

    /// <summary>Reads a stream (bounded by <see cref="FhirJsonParserOptions.MaxBytes"/>) and parses it.</summary>
    public async Task<ParseResult> ParseAsync(Stream stream, string? expectedType = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var ms = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + read > _options.MaxBytes)
            {
                return Fail(IssueType.TooLong, $"The resource is larger than the limit of {_options.MaxBytes:N0} bytes.");
            }
            ms.Write(buffer, 0, read);
        }
        return Parse(ms.GetBuffer().AsMemory(0, (int)ms.Length), expectedType);
    }

    private static ParseResult Fail(string code, string message) =>
        new(null, [new Issue(IssueSeverity.Fatal, code, message)]);

    private static string CleanJsonMessage(string message)
    {
        // System.Text.Json appends "Path: $ | LineNumber: 0 | BytePositionInLine: 3." in 0-based
        // terms; the issue carries 1-based line and column instead.
        foreach (var marker in (ReadOnlySpan<string>)[" Path: ", " LineNumber: "])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }
        return message.TrimEnd();
    }

    private static (int Line, int Column) PositionOfFirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var valid = span;
        var lo = 0;
        var hi = span.Length;
        // Binary search for the longest valid prefix; cheap and only on the error path.
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (System.Text.Unicode.Utf8.IsValid(span[..mid]))
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        valid = span[..lo];
        var line = 1;
        var lastNl = -1;
        for (var i = 0; i < valid.Length; i++)
        {
            if (valid[i] == (byte)'\n')
            {
                line++;
                lastNl = i;
            }
        }
        return (line, lo - lastNl);
    }

    private sealed class Context
    {
        public ImmutableArray<Issue>.Builder Issues { get; } = ImmutableArray.CreateBuilder<Issue>();

        public void Error(string code, string message, string path) =>
            Issues.Add(new Issue(IssueSeverity.Error, code, message, path));
    }
}
