using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// Turns one filter pair (<c>name[:modifier][.chain]=v1,v2</c>, <c>_has:…</c>) into an
/// expression. Commas within a value are OR; the caller ANDs repeated pairs. Chains and
/// <c>_has</c> recurse with the scope of the type they lead to, so they nest to any depth.
/// </summary>
internal sealed class FilterParser(ParameterCatalog catalog, SearchParserOptions options)
{
    private FhirSpec Spec => catalog.Spec;

    public Parsed<SearchExpression> Parse(SearchScope scope, string key, string value)
    {
        if (key.StartsWith("_has:", StringComparison.Ordinal))
        {
            return ParseHas(scope, key, value);
        }
        var dot = key.IndexOf('.');
        if (dot >= 0)
        {
            return ParseChain(scope, key[..dot], key[(dot + 1)..], value);
        }
        var (code, modifier) = SplitModifier(key);
        if (modifier is { Length: 0 } || code.Length == 0)
        {
            return Fail(IssueType.Invalid, $"'{key}' is not a valid parameter name");
        }
        switch (code)
        {
            case "_id":
                return modifier is null ? ParseIds(value) : Fail(IssueType.Invalid, $"modifier ':{modifier}' is not valid on _id");
            case "_lastUpdated":
                return modifier is null ? ParseLastUpdated(value) : Fail(IssueType.Invalid, $"modifier ':{modifier}' is not valid on _lastUpdated");
            case "_type":
                return Fail(IssueType.Invalid, "_type is only valid in a search across all types, not in a chain or _has");
            case "_has":
                return Fail(IssueType.Invalid, $"'{key}' is not a valid _has parameter (expected _has:Type:reference:parameter)");
        }
        var resolved = catalog.Resolve(scope, code);
        if (!resolved.IsOk)
        {
            return Fail(IssueType.NotFound, resolved.Error!);
        }
        var parameter = resolved.Value!;
        if (catalog.UnsupportedReason(parameter) is { } reason)
        {
            return Fail(IssueType.NotSupported, $"search parameter '{code}' is not supported: {reason}");
        }
        return ParseValues(parameter, modifier, value);
    }

    private Parsed<SearchExpression> ParseValues(SearchParameterDefinition parameter, string? modifier, string value)
    {
        var code = parameter.Code;
        string? typeModifier = null;
        if (modifier is not null && parameter.Type == SearchParamType.Reference && Spec.IsResourceType(modifier))
        {
            if (!TextValueParsers.IsTarget(parameter.Target, modifier))
            {
                return Fail(IssueType.Invalid, $"parameter '{code}' cannot refer to {modifier} (targets: {string.Join(", ", parameter.Target)})");
            }
            typeModifier = modifier;
        }
        else
        {
            switch (ModifierRules.Check(parameter.Type, modifier))
            {
                case ModifierRules.Verdict.NotSupported:
                    return Fail(IssueType.NotSupported, $"modifier ':{modifier}' on {TypeName(parameter.Type)} parameter '{code}' is not supported");
                case ModifierRules.Verdict.Invalid:
                    return Fail(IssueType.Invalid, $"modifier ':{modifier}' is not valid on {TypeName(parameter.Type)} parameter '{code}'");
            }
        }
        if (modifier == "missing")
        {
            return value switch
            {
                "true" => Ok(new MissingExpression(code, parameter.Type, true)),
                "false" => Ok(new MissingExpression(code, parameter.Type, false)),
                _ => Fail(IssueType.Invalid, $"':missing' takes true or false, not '{value}'"),
            };
        }
        var parts = EscapedValue.Split(value, ',');
        var operands = ImmutableArray.CreateBuilder<SearchExpression>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                return Fail(IssueType.Invalid, $"parameter '{code}' has an empty value");
            }
            var predicate = ParsePredicate(parameter, modifier, typeModifier, part);
            if (!predicate.IsOk)
            {
                return Fail(predicate.IssueCode, $"parameter '{code}': {predicate.Error}");
            }
            operands.Add(new ParameterExpression(code, predicate.Value!));
        }
        var expression = Any(operands.MoveToImmutable());
        // :not is "no value matches any of these", which includes resources without a value.
        return Ok(modifier == "not" ? new NotExpression(expression) : expression);
    }

    private Parsed<ValuePredicate> ParsePredicate(SearchParameterDefinition parameter, string? modifier, string? typeModifier, string part) =>
        parameter.Type switch
        {
            SearchParamType.String => TextValueParsers.String(part, modifier switch
            {
                "exact" => StringMatch.Exact,
                "contains" => StringMatch.Contains,
                _ => StringMatch.StartsWith,
            }),
            SearchParamType.Token => modifier switch
            {
                "text" => TextValueParsers.TokenText(part),
                "of-type" => TextValueParsers.TokenOfType(part),
                _ => TextValueParsers.Token(part),
            },
            SearchParamType.Reference => modifier == "identifier"
                ? TextValueParsers.Token(part)
                : TextValueParsers.Reference(Spec, parameter, typeModifier, part, options.LocalBaseUrls),
            SearchParamType.Uri => TextValueParsers.Uri(part, modifier switch
            {
                "below" => UriMatch.Below,
                "above" => UriMatch.Above,
                _ => UriMatch.Exact,
            }),
            SearchParamType.Date => ScalarValueParsers.Date(part),
            SearchParamType.Number => ScalarValueParsers.Number(part),
            SearchParamType.Quantity => ScalarValueParsers.Quantity(part),
            SearchParamType.Composite => ParseComposite(parameter, part),
            SearchParamType.Special => ScalarValueParsers.Near(part, options.DefaultNearDistanceKm),
            _ => Parsed<ValuePredicate>.Fail($"{parameter.Type} parameters are not supported"),
        };

    /// <summary><c>a$b</c>: one value per component, each read by its own parameter's type.</summary>
    private Parsed<ValuePredicate> ParseComposite(SearchParameterDefinition parameter, string part)
    {
        var values = EscapedValue.Split(part, '$');
        if (values.Count != parameter.Components.Length)
        {
            return Parsed<ValuePredicate>.Fail($"'{EscapedValue.Unescape(part)}' has {values.Count} component value(s); '{parameter.Code}' needs {parameter.Components.Length} joined by $");
        }
        var components = ImmutableArray.CreateBuilder<ValuePredicate>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            var definition = Spec.FindSearchParameterByUrl(parameter.Components[i].Definition);
            if (definition is null || definition.Type is SearchParamType.Composite or SearchParamType.Special)
            {
                return Parsed<ValuePredicate>.Fail($"component {i + 1} of '{parameter.Code}' has no usable definition");
            }
            if (values[i].Length == 0)
            {
                return Parsed<ValuePredicate>.Fail($"component {i + 1} of '{EscapedValue.Unescape(part)}' is empty");
            }
            var component = ParsePredicate(definition, null, null, values[i]);
            if (!component.IsOk)
            {
                return component;
            }
            components.Add(component.Value!);
        }
        return Parsed<ValuePredicate>.Ok(new CompositePredicate(components.MoveToImmutable()));
    }

    private static Parsed<SearchExpression> ParseIds(string value)
    {
        var parts = EscapedValue.Split(value, ',');
        var ids = ImmutableArray.CreateBuilder<string>(parts.Count);
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                return Fail(IssueType.Invalid, "_id has an empty value");
            }
            ids.Add(EscapedValue.Unescape(part));
        }
        return Ok(new IdExpression(ids.MoveToImmutable()));
    }

    private static Parsed<SearchExpression> ParseLastUpdated(string value)
    {
        var parts = EscapedValue.Split(value, ',');
        var operands = ImmutableArray.CreateBuilder<SearchExpression>(parts.Count);
        foreach (var part in parts)
        {
            var date = ScalarValueParsers.Date(part);
            if (!date.IsOk)
            {
                return Fail(IssueType.Invalid, $"_lastUpdated: {date.Error}");
            }
            operands.Add(new LastUpdatedExpression((DatePredicate)date.Value!));
        }
        return Ok(Any(operands.MoveToImmutable()));
    }

    /// <summary>
    /// <c>ref[:Type].rest</c>: without a type, the one target that defines the next parameter;
    /// when several do, the search is ambiguous and the caller must name the type.
    /// </summary>
    private Parsed<SearchExpression> ParseChain(SearchScope scope, string head, string rest, string value)
    {
        var (code, modifier) = SplitModifier(head);
        if (code.Length == 0 || rest.Length == 0 || modifier is { Length: 0 })
        {
            return Fail(IssueType.Invalid, $"'{head}.{rest}' is not a valid chained parameter");
        }
        var resolved = catalog.Resolve(scope, code);
        if (!resolved.IsOk)
        {
            return Fail(IssueType.NotFound, resolved.Error!);
        }
        var parameter = resolved.Value!;
        if (parameter.Type != SearchParamType.Reference)
        {
            return Fail(IssueType.Invalid, $"'{code}' is a {TypeName(parameter.Type)} parameter; only reference parameters can be chained");
        }
        string? target;
        if (modifier is not null)
        {
            if (!Spec.IsResourceType(modifier) || !TextValueParsers.IsTarget(parameter.Target, modifier))
            {
                return Fail(IssueType.Invalid, $"'{modifier}' is not a resource type that '{code}' can refer to (targets: {string.Join(", ", parameter.Target)})");
            }
            target = modifier;
        }
        else
        {
            var inferred = InferChainTarget(parameter, rest);
            if (!inferred.IsOk)
            {
                return Fail(inferred.IssueCode, inferred.Error!);
            }
            target = inferred.Value;
        }
        var inner = Parse(target is null ? new SearchScope(null, []) : SearchScope.Of(target), rest, value);
        return inner.IsOk ? Ok(new ChainedExpression(code, target, inner.Value!)) : inner;
    }

    /// <summary>
    /// The target type of an untyped chain step. Null (any type) when the next step means the
    /// same on every resource (<c>_id</c>, <c>_lastUpdated</c>, <c>_tag</c>, <c>_has</c>…), so
    /// <c>subject._id=1</c> needs no type.
    /// </summary>
    private Parsed<string?> InferChainTarget(SearchParameterDefinition parameter, string rest)
    {
        if (parameter.Target.Length == 1)
        {
            return Parsed<string?>.Ok(parameter.Target[0]);
        }
        var end = rest.IndexOfAny([':', '.']);
        var next = end < 0 ? rest : rest[..end];
        if (next is "_id" or "_lastUpdated" or "_has" || catalog.Resolve(new SearchScope(null, []), next).IsOk)
        {
            return Parsed<string?>.Ok(null);
        }
        List<string> candidates = [];
        foreach (var t in parameter.Target)
        {
            if (Spec.IsResourceType(t) && Spec.FindSearchParameter(t, next) is not null)
            {
                candidates.Add(t);
            }
        }
        return candidates.Count switch
        {
            1 => Parsed<string?>.Ok(candidates[0]),
            0 => Parsed<string?>.Fail($"none of the types '{parameter.Code}' can refer to ({string.Join(", ", parameter.Target)}) has a search parameter '{next}'", IssueType.NotFound),
            _ => Parsed<string?>.Fail($"chain '{parameter.Code}.{next}' is ambiguous: {string.Join(", ", candidates)} all define '{next}'; name the type, e.g. '{parameter.Code}:{candidates[0]}.{rest}'"),
        };
    }

    /// <summary><c>_has:Type:reference:rest</c>: some <c>Type</c> whose <c>reference</c> points here matches <c>rest</c>.</summary>
    private Parsed<SearchExpression> ParseHas(SearchScope scope, string key, string value)
    {
        var parts = key.Split(':', 4);
        if (parts.Length < 4 || parts[1].Length == 0 || parts[2].Length == 0 || parts[3].Length == 0)
        {
            return Fail(IssueType.Invalid, $"'{key}' is not a valid _has parameter (expected _has:Type:reference:parameter)");
        }
        var (source, referenceCode, rest) = (parts[1], parts[2], parts[3]);
        if (!Spec.IsResourceType(source))
        {
            return Fail(IssueType.Invalid, $"'{source}' in '{key}' is not a resource type");
        }
        var reference = Spec.FindSearchParameter(source, referenceCode);
        if (reference is null || reference.Type != SearchParamType.Reference)
        {
            return Fail(IssueType.Invalid, $"'{referenceCode}' is not a reference search parameter of {source}");
        }
        if (scope.Type is { } here && !TextValueParsers.IsTarget(reference.Target, here))
        {
            return Fail(IssueType.Invalid, $"{source}.{referenceCode} cannot refer to {here} (targets: {string.Join(", ", reference.Target)})");
        }
        var inner = Parse(SearchScope.Of(source), rest, value);
        return inner.IsOk ? Ok(new ReverseChainedExpression(source, referenceCode, inner.Value!)) : inner;
    }

    private static (string Code, string? Modifier) SplitModifier(string key)
    {
        var colon = key.IndexOf(':');
        return colon < 0 ? (key, null) : (key[..colon], key[(colon + 1)..]);
    }

    private static SearchExpression Any(ImmutableArray<SearchExpression> operands) =>
        operands.Length == 1 ? operands[0] : new OrExpression(operands);

    private static string TypeName(SearchParamType type) => type.ToString().ToLowerInvariant();

    private static Parsed<SearchExpression> Ok(SearchExpression e) => Parsed<SearchExpression>.Ok(e);

    private static Parsed<SearchExpression> Fail(string issueType, string message) => Parsed<SearchExpression>.Fail(message, issueType);
}
