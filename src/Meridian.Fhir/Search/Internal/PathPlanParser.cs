using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Parses a search expression into a <see cref="PathPlan"/> when it stays within the
/// navigation subset; returns false (never throws) for anything else, which then goes to the
/// FHIRPath engine. Grammar:
/// <code>
/// union  := chain ('|' chain)*
/// chain  := atom ('.' step)* ('as' Type)?
/// atom   := '(' union ')' | '%resource' | Identifier
/// step   := Identifier | Identifier[n] | as(T) | ofType(T) | extension('url')
///         | where(resolve() is T) | where(name = 'lit') | where(hasExtension('url'))
/// </code>
/// A parenthesised union followed by more steps distributes them over its branches.
/// </summary>
internal static class PathPlanParser
{
    public static bool TryParse(string expression, FhirSpec spec, [NotNullWhen(true)] out ImmutableArray<ImmutableArray<PathStep>> branches)
    {
        branches = default;
        var tokens = Tokenize(expression);
        if (tokens is null)
        {
            return false;
        }
        var pos = 0;
        var result = ParseUnion(tokens, ref pos, spec);
        if (result is null || pos != tokens.Count)
        {
            return false;
        }
        branches = [.. result.Select(b => b.ToImmutableArray())];
        return true;
    }

    private static List<List<PathStep>>? ParseUnion(List<string> t, ref int pos, FhirSpec spec)
    {
        var all = new List<List<PathStep>>();
        while (true)
        {
            var chain = ParseChain(t, ref pos, spec);
            if (chain is null)
            {
                return null;
            }
            all.AddRange(chain);
            if (pos < t.Count && t[pos] == "|")
            {
                pos++;
                continue;
            }
            return all;
        }
    }

    private static List<List<PathStep>>? ParseChain(List<string> t, ref int pos, FhirSpec spec)
    {
        if (pos >= t.Count)
        {
            return null;
        }
        List<List<PathStep>> branches;
        var first = t[pos++];
        if (first == "(")
        {
            var inner = ParseUnion(t, ref pos, spec);
            if (inner is null || !Expect(t, ref pos, ")"))
            {
                return null;
            }
            branches = inner;
        }
        else if (first == "%resource")
        {
            branches = [[new PathStep(StepKind.Resource, "")]];
        }
        else if (IsIdentifier(first))
        {
            // A leading capitalised name is a type filter on the focus (Patient.name); anything
            // else is a child of the focus (component expressions such as value.as(Quantity)).
            branches = char.IsUpper(first[0]) && spec.FindType(first) is { IsResource: true }
                ? [[new PathStep(StepKind.FocusIs, first)]]
                : [[new PathStep(StepKind.Child, first)]];
        }
        else
        {
            return null;
        }
        var steps = new List<PathStep>();
        while (pos < t.Count && t[pos] == ".")
        {
            pos++;
            if (!TryParseStep(t, ref pos, steps))
            {
                return null;
            }
        }
        if (pos < t.Count && t[pos] == "as")
        {
            pos++;
            if (pos >= t.Count || !IsIdentifier(t[pos]))
            {
                return null;
            }
            steps.Add(new PathStep(StepKind.OfType, t[pos++]));
        }
        foreach (var b in branches)
        {
            b.AddRange(steps);
        }
        return branches;
    }

    private static bool TryParseStep(List<string> t, ref int pos, List<PathStep> steps)
    {
        if (pos >= t.Count || !IsIdentifier(t[pos]))
        {
            return false;
        }
        var name = t[pos++];
        if (pos + 2 < t.Count && t[pos] == "[" && int.TryParse(t[pos + 1], CultureInfo.InvariantCulture, out var index) && t[pos + 2] == "]")
        {
            // name[n] on a single parent (Bundle.entry[0]) is its n-th child of that name.
            steps.Add(new PathStep(StepKind.ChildAt, name, Number: index));
            pos += 3;
            return true;
        }
        if (pos >= t.Count || t[pos] != "(")
        {
            steps.Add(new PathStep(StepKind.Child, name));
            return true;
        }
        pos++;
        switch (name)
        {
            case "as" or "ofType" when pos < t.Count && IsIdentifier(t[pos]):
                steps.Add(new PathStep(StepKind.OfType, t[pos++]));
                return Expect(t, ref pos, ")");
            case "extension" when pos < t.Count && IsLiteral(t[pos]):
                steps.Add(new PathStep(StepKind.Extension, Unquote(t[pos++])));
                return Expect(t, ref pos, ")");
            case "where":
                return TryParseWhere(t, ref pos, steps) && Expect(t, ref pos, ")");
            default:
                return false;
        }
    }

    private static bool TryParseWhere(List<string> t, ref int pos, List<PathStep> steps)
    {
        if (Matches(t, pos, "resolve", "(", ")", "is") && pos + 4 < t.Count && IsIdentifier(t[pos + 4]))
        {
            steps.Add(new PathStep(StepKind.WhereResolveIs, t[pos + 4]));
            pos += 5;
            return true;
        }
        if (Matches(t, pos, "hasExtension", "(") && pos + 3 < t.Count && IsLiteral(t[pos + 2]) && t[pos + 3] == ")")
        {
            steps.Add(new PathStep(StepKind.WhereHasExtension, Unquote(t[pos + 2])));
            pos += 4;
            return true;
        }
        if (pos + 2 < t.Count && IsIdentifier(t[pos]) && t[pos + 1] == "=" && IsLiteral(t[pos + 2]))
        {
            steps.Add(new PathStep(StepKind.WhereChildEquals, t[pos], Unquote(t[pos + 2])));
            pos += 3;
            return true;
        }
        return false;
    }

    private static bool Matches(List<string> t, int pos, params ReadOnlySpan<string> expected)
    {
        if (pos + expected.Length > t.Count)
        {
            return false;
        }
        for (var i = 0; i < expected.Length; i++)
        {
            if (t[pos + i] != expected[i])
            {
                return false;
            }
        }
        return true;
    }

    private static bool Expect(List<string> t, ref int pos, string token)
    {
        if (pos < t.Count && t[pos] == token)
        {
            pos++;
            return true;
        }
        return false;
    }

    private static bool IsIdentifier(string token) => token.Length > 0 && (char.IsLetter(token[0]) || token[0] == '_');

    private static bool IsLiteral(string token) => token.Length >= 2 && token[0] == '\'';

    private static string Unquote(string literal) => literal[1..^1];

    /// <summary>Identifiers, %variables, 'string literals' (no escapes in search expressions)
    /// and single-character symbols; null for anything else.</summary>
    private static List<string>? Tokenize(string s)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_' || c == '%')
            {
                var start = i++;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_'))
                {
                    i++;
                }
                tokens.Add(s[start..i]);
            }
            else if (c == '\'')
            {
                var end = s.IndexOf('\'', i + 1);
                if (end < 0 || s.AsSpan(i, end - i).Contains('\\'))
                {
                    return null;
                }
                tokens.Add(s[i..(end + 1)]);
                i = end + 1;
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i++;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
                tokens.Add(s[start..i]);
            }
            else if (c is '.' or '(' or ')' or '|' or '=' or '[' or ']')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else
            {
                return null;
            }
        }
        return tokens;
    }
}
