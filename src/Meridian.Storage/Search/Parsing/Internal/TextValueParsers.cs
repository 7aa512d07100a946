using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>String, token, URI and reference values (everything compared as text).</summary>
internal static class TextValueParsers
{
    public static Parsed<ValuePredicate> String(string escaped, StringMatch match) =>
        Parsed<ValuePredicate>.Ok(new StringPredicate(EscapedValue.Unescape(escaped), match));

    public static Parsed<ValuePredicate> Uri(string escaped, UriMatch match) =>
        Parsed<ValuePredicate>.Ok(new UriPredicate(EscapedValue.Unescape(escaped), match));

    /// <summary><c>code</c>, <c>system|code</c>, <c>|code</c> (no system) or <c>system|</c> (any code).</summary>
    public static Parsed<ValuePredicate> Token(string escaped)
    {
        var parts = EscapedValue.Split(escaped, '|');
        switch (parts.Count)
        {
            case 1:
                return Parsed<ValuePredicate>.Ok(new TokenPredicate(null, EscapedValue.Unescape(escaped)));
            case 2 when parts[0].Length > 0 || parts[1].Length > 0:
                var code = EscapedValue.Unescape(parts[1]);
                return Parsed<ValuePredicate>.Ok(new TokenPredicate(EscapedValue.Unescape(parts[0]), code.Length == 0 ? null : code));
            default:
                return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' is not a valid token (expected [system|]code)");
        }
    }

    /// <summary><c>:text</c>: the value is matched against display/text, not split at <c>|</c>.</summary>
    public static Parsed<ValuePredicate> TokenText(string escaped) =>
        Parsed<ValuePredicate>.Ok(new TokenPredicate(null, EscapedValue.Unescape(escaped)) { Match = TokenMatch.Text });

    /// <summary><c>:of-type</c>: <c>type-system|type-code|identifier-value</c>, all three required.</summary>
    public static Parsed<ValuePredicate> TokenOfType(string escaped)
    {
        var parts = EscapedValue.Split(escaped, '|');
        if (parts.Count != 3 || parts[0].Length == 0 || parts[1].Length == 0 || parts[2].Length == 0)
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' is not a valid :of-type value (expected system|code|value)");
        }
        return Parsed<ValuePredicate>.Ok(new TokenPredicate(null, EscapedValue.Unescape(parts[2]))
        {
            Match = TokenMatch.OfType,
            TypeSystem = EscapedValue.Unescape(parts[0]),
            TypeCode = EscapedValue.Unescape(parts[1]),
        });
    }

    /// <summary>
    /// <c>id</c>, <c>Type/id</c>, <c>Type/id/_history/v</c>, an absolute URL or URN, or a
    /// canonical <c>url|version</c>. <paramref name="typeModifier"/> is the <c>:Type</c> modifier.
    /// A stated type must be one the parameter can point at: anything else can never match.
    /// </summary>
    public static Parsed<ValuePredicate> Reference(FhirSpec spec, SearchParameterDefinition parameter, string? typeModifier, string escaped, ImmutableArray<string> localBaseUrls)
    {
        var parts = EscapedValue.Split(escaped, '|');
        if (parts.Count > 2)
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(escaped)}' is not a valid reference");
        }
        var value = EscapedValue.Unescape(parts[0]);
        var version = parts.Count == 2 ? EscapedValue.Unescape(parts[1]) : null;
        if (value.Length == 0)
        {
            return Parsed<ValuePredicate>.Fail("empty reference");
        }
        value = Localize(value, localBaseUrls);
        if (value.Contains("://", StringComparison.Ordinal) || value.StartsWith("urn:", StringComparison.Ordinal))
        {
            if (typeModifier is not null)
            {
                return Parsed<ValuePredicate>.Fail($"the :{typeModifier} modifier takes an id or {typeModifier}/id, not the URL '{value}'");
            }
            return Parsed<ValuePredicate>.Ok(new ReferencePredicate(null, null) { Url = value, Version = string.IsNullOrEmpty(version) ? null : version });
        }
        if (version is not null)
        {
            return Parsed<ValuePredicate>.Fail($"'{value}|{version}': only canonical URLs take a |version");
        }
        string? type = typeModifier;
        string id = value;
        string? historyVersion = null;
        var segments = value.Split('/');
        switch (segments.Length)
        {
            case 1:
                break;
            case 2:
            case 4 when segments[2] == "_history":
                if (!spec.IsResourceType(segments[0]))
                {
                    return Parsed<ValuePredicate>.Fail($"'{segments[0]}' in '{value}' is not a resource type");
                }
                if (typeModifier is not null && typeModifier != segments[0])
                {
                    return Parsed<ValuePredicate>.Fail($"'{value}' does not match the :{typeModifier} modifier");
                }
                type = segments[0];
                id = segments[1];
                historyVersion = segments.Length == 4 ? segments[3] : null;
                break;
            default:
                return Parsed<ValuePredicate>.Fail($"'{value}' is not a valid reference (expected id, Type/id or an absolute URL)");
        }
        if (id.Length == 0 || historyVersion is { Length: 0 })
        {
            return Parsed<ValuePredicate>.Fail($"'{value}' is not a valid reference");
        }
        if (type is not null && !IsTarget(parameter.Target, type))
        {
            return Parsed<ValuePredicate>.Fail($"parameter '{parameter.Code}' cannot refer to {type} (targets: {string.Join(", ", parameter.Target)})");
        }
        return Parsed<ValuePredicate>.Ok(new ReferencePredicate(type, id) { Version = historyVersion });
    }

    /// <summary><c>{base}/Patient/1</c> → <c>Patient/1</c> when <c>{base}</c> is this server.</summary>
    private static string Localize(string value, ImmutableArray<string> localBaseUrls)
    {
        foreach (var b in localBaseUrls)
        {
            var root = b.TrimEnd('/');
            if (value.Length > root.Length + 1 && value.StartsWith(root, StringComparison.Ordinal) && value[root.Length] == '/')
            {
                return value[(root.Length + 1)..];
            }
        }
        return value;
    }

    /// <summary>An empty target list (or one naming Resource) means any type.</summary>
    public static bool IsTarget(ImmutableArray<string> targets, string type) =>
        targets.IsDefaultOrEmpty || targets.Contains(type) || targets.Contains("Resource");
}
