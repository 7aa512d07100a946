using System.Text;
using System.Text.RegularExpressions;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>One message of IZGateway's annotated file and the FHIRPath assertions written under its segments.</summary>
internal sealed record AnnotatedMessage(int Number, string Text, IReadOnlyList<string> Assertions);

/// <summary>
/// Reads annotated/izgateway-v2tofhir/messages.txt: HL7 lines (continued with a trailing
/// backslash), <c>@</c>-lines holding a FHIRPath assertion about the expected conversion (a
/// trailing <c>// comment</c>, also continued), <c>#</c> comment lines.
/// </summary>
internal static partial class IzGatewayAssertions
{
    public static List<AnnotatedMessage> Load()
    {
        var lines = new List<string>();
        var pending = new StringBuilder();
        foreach (var raw in File.ReadAllLines(Path.Combine(Corpus.Root, "annotated", "izgateway-v2tofhir", "messages.txt")))
        {
            var line = raw.TrimEnd();
            var part = pending.Length > 0 ? line.TrimStart() : line;
            if (part.EndsWith('\\') && !part.EndsWith("\\\\", StringComparison.Ordinal))
            {
                pending.Append(part[..^1]);
                continue;
            }
            pending.Append(part);
            lines.Add(pending.ToString());
            pending.Clear();
        }
        var messages = new List<AnnotatedMessage>();
        StringBuilder? text = null;
        var assertions = new List<string>();
        void Flush()
        {
            if (text is not null)
            {
                messages.Add(new AnnotatedMessage(messages.Count + 1, text.ToString(), [.. assertions]));
            }
            assertions.Clear();
        }
        foreach (var line in lines)
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#') || trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }
            if (trimmed.StartsWith('@'))
            {
                assertions.Add(StripComment(trimmed[1..]).Trim());
                continue;
            }
            if (trimmed.StartsWith("MSH", StringComparison.Ordinal))
            {
                Flush();
                text = new StringBuilder();
            }
            text?.Append(trimmed).Append('\r');
        }
        Flush();
        return messages;
    }

    /// <summary>Cuts a trailing <c>// comment</c> outside string literals (URLs inside quotes keep theirs).</summary>
    private static string StripComment(string s)
    {
        var quoted = false;
        for (var i = 0; i < s.Length - 1; i++)
        {
            if (s[i] == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && s[i] == '/' && s[i + 1] == '/')
            {
                return s[..i];
            }
        }
        return s;
    }

    /// <summary>
    /// The assertions name resource types at their root (<c>Patient.name.family</c>,
    /// <c>OperationOutcome[1].issue</c>), meaning "that type's resources in the converted Bundle";
    /// rewritten to standard FHIRPath evaluated on the Bundle.
    /// </summary>
    public static string ToBundleExpression(string assertion)
    {
        var match = RootType().Match(assertion);
        if (!match.Success || match.Groups[1].Value is "Bundle")
        {
            return assertion;
        }
        return $"(Bundle.entry.resource.ofType({match.Groups[1].Value}))" + assertion[match.Groups[1].Length..];
    }

    [GeneratedRegex(@"^([A-Z][A-Za-z]+)(?=[.\[]|\s|$)")]
    private static partial Regex RootType();
}
