using System.Collections.Immutable;
using System.Globalization;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// Parameters that shape the result rather than filter it: <c>_sort</c>, <c>_count</c>,
/// <c>_total</c>, <c>_summary</c>, <c>_elements</c>, <c>_include</c>, <c>_revinclude</c>.
/// </summary>
internal sealed class ResultParameterParser(ParameterCatalog catalog)
{
    private FhirSpec Spec => catalog.Spec;

    /// <summary><c>_sort=a,-b</c>: keys in priority order, <c>-</c> for descending.</summary>
    public Parsed<ImmutableArray<SortKey>> Sort(SearchScope scope, string value)
    {
        var keys = ImmutableArray.CreateBuilder<SortKey>();
        foreach (var raw in value.Split(','))
        {
            var descending = raw.StartsWith('-');
            var code = descending ? raw[1..] : raw;
            if (code.Length == 0)
            {
                return Fail<ImmutableArray<SortKey>>($"_sort has an empty key in '{value}'");
            }
            switch (code)
            {
                case "_id":
                    keys.Add(new SortKey(code, SearchParamType.Token, descending));
                    continue;
                case "_lastUpdated":
                    keys.Add(new SortKey(code, SearchParamType.Date, descending));
                    continue;
            }
            var resolved = catalog.Resolve(scope, code);
            if (!resolved.IsOk)
            {
                return Fail<ImmutableArray<SortKey>>($"_sort: {resolved.Error}", IssueType.NotFound);
            }
            var parameter = resolved.Value!;
            if (parameter.Type is SearchParamType.Composite or SearchParamType.Special || catalog.UnsupportedReason(parameter) is not null)
            {
                return Fail<ImmutableArray<SortKey>>($"_sort by '{code}' ({parameter.Type.ToString().ToLowerInvariant()}) is not supported", IssueType.NotSupported);
            }
            keys.Add(new SortKey(code, parameter.Type, descending));
        }
        return Parsed<ImmutableArray<SortKey>>.Ok(keys.ToImmutable());
    }

    public static Parsed<int> Count(string value, int max, out bool lowered)
    {
        lowered = false;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return Fail<int>($"_count must be a non-negative integer, not '{value}'");
        }
        lowered = count > max;
        return Parsed<int>.Ok(Math.Min(count, max));
    }

    public static Parsed<TotalMode> Total(string value) => value switch
    {
        "none" => Parsed<TotalMode>.Ok(TotalMode.None),
        "estimate" => Parsed<TotalMode>.Ok(TotalMode.Estimate),
        "accurate" => Parsed<TotalMode>.Ok(TotalMode.Accurate),
        _ => Fail<TotalMode>($"_total must be none, estimate or accurate, not '{value}'"),
    };

    public static Parsed<SummaryMode> Summary(string value) => value switch
    {
        "true" => Parsed<SummaryMode>.Ok(SummaryMode.True),
        "text" => Parsed<SummaryMode>.Ok(SummaryMode.Text),
        "data" => Parsed<SummaryMode>.Ok(SummaryMode.Data),
        "count" => Parsed<SummaryMode>.Ok(SummaryMode.Count),
        "false" => Parsed<SummaryMode>.Ok(SummaryMode.False),
        _ => Fail<SummaryMode>($"_summary must be true, text, data, count or false, not '{value}'"),
    };

    /// <summary><c>_elements=a,b</c>: top-level element names; checked against the type when there is one.</summary>
    public Parsed<ImmutableArray<string>> Elements(string? resourceType, string value)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        var type = resourceType is null ? null : Spec.FindType(resourceType);
        foreach (var raw in value.Split(','))
        {
            var name = raw.Trim();
            if (name.Length == 0)
            {
                return Fail<ImmutableArray<string>>($"_elements has an empty name in '{value}'");
            }
            if (type is not null && type.FindByName(name) is null && type.FindByJsonName(name) is null)
            {
                return Fail<ImmutableArray<string>>($"_elements: {resourceType} has no element '{name}'", IssueType.NotFound);
            }
            if (!names.Contains(name))
            {
                names.Add(name);
            }
        }
        return Parsed<ImmutableArray<string>>.Ok(names.ToImmutable());
    }

    /// <summary>
    /// <c>Source:param[:Target]</c> or <c>Source:*</c> (every reference parameter of Source).
    /// For <c>_include</c> the source must be a searched type unless iterating; for
    /// <c>_revinclude</c> the parameter must be able to point at a searched type.
    /// </summary>
    public Parsed<ImmutableArray<IncludeDescriptor>> Include(SearchScope scope, string name, string? modifier, string value, bool reverse)
    {
        var iterate = false;
        switch (modifier)
        {
            case null:
                break;
            case "iterate" or "recurse":
                iterate = true;
                break;
            default:
                return Fail<ImmutableArray<IncludeDescriptor>>($"modifier ':{modifier}' is not valid on {name} (only :iterate)");
        }
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"{name}='{value}' is not valid (expected SourceType:parameter[:TargetType])");
        }
        var (source, code) = (parts[0], parts[1]);
        var target = parts.Length == 3 ? parts[2] : null;
        if (!Spec.IsResourceType(source))
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"{name}: '{source}' is not a resource type");
        }
        if (target is not null && !Spec.IsResourceType(target))
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"{name}: '{target}' is not a resource type");
        }
        if (!reverse && !iterate && !IsSearched(scope, source))
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"_include source {source} is not the searched type (use _include:iterate to include from included resources)");
        }
        var result = ImmutableArray.CreateBuilder<IncludeDescriptor>();
        if (code == "*")
        {
            foreach (var p in Spec.SearchParametersFor(source))
            {
                if (p.Type == SearchParamType.Reference && (target is null || TextValueParsers.IsTarget(p.Target, target))
                    && (!reverse || iterate || PointsAtSearched(scope, p)))
                {
                    result.Add(new IncludeDescriptor(source, p.Code, target) { Iterate = iterate });
                }
            }
            return Parsed<ImmutableArray<IncludeDescriptor>>.Ok(result.ToImmutable());
        }
        var parameter = Spec.FindSearchParameter(source, code);
        if (parameter is null || parameter.Type != SearchParamType.Reference)
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"{name}: '{code}' is not a reference search parameter of {source}", IssueType.NotFound);
        }
        if (target is not null && !TextValueParsers.IsTarget(parameter.Target, target))
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"{name}: {source}.{code} cannot refer to {target} (targets: {string.Join(", ", parameter.Target)})");
        }
        if (reverse && !iterate && !PointsAtSearched(scope, parameter))
        {
            return Fail<ImmutableArray<IncludeDescriptor>>($"_revinclude: {source}.{code} cannot refer to the searched type (targets: {string.Join(", ", parameter.Target)})");
        }
        result.Add(new IncludeDescriptor(source, code, target) { Iterate = iterate });
        return Parsed<ImmutableArray<IncludeDescriptor>>.Ok(result.ToImmutable());
    }

    private static bool IsSearched(SearchScope scope, string type) =>
        scope.Type is { } t ? t == type : scope.Types.IsDefaultOrEmpty || scope.Types.Contains(type);

    private static bool PointsAtSearched(SearchScope scope, SearchParameterDefinition parameter)
    {
        if (scope.Type is { } t)
        {
            return TextValueParsers.IsTarget(parameter.Target, t);
        }
        if (scope.Types.IsDefaultOrEmpty)
        {
            return true;
        }
        foreach (var type in scope.Types)
        {
            if (TextValueParsers.IsTarget(parameter.Target, type))
            {
                return true;
            }
        }
        return false;
    }

    private static Parsed<T> Fail<T>(string message, string code = IssueType.Invalid) => Parsed<T>.Fail(message, code);
}
