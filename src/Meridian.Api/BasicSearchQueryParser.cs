using System.Collections.Immutable;
using System.Globalization;
using SortKey = Meridian.Storage.Search.SortKey;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api;

/// <summary>
/// A small search parser covering what the interaction layer itself relies on (conditional
/// interactions, $everything, paging): <c>_id</c>, <c>_lastUpdated</c>, <c>_count</c>,
/// <c>_sort</c>, <c>_total</c>, <c>_type</c>, <c>_include</c>/<c>_revinclude</c>, and
/// token, string, reference, uri and date parameters with <c>:missing</c>, <c>:exact</c>,
/// <c>:contains</c>. The full parser (chains, _has, quantities, composites, every modifier) is
/// the search-query module's; the host plugs it in through <see cref="ISearchQueryParser"/>.
/// </summary>
public sealed class BasicSearchQueryParser(FhirSpec spec) : ISearchQueryParser
{
    public static BasicSearchQueryParser R4 { get; } = new(FhirSpec.R4);

    public SearchParseResult Parse(string? resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, SearchHandling handling)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var query = new SearchQuery(resourceType);
        var filters = new List<SearchExpression>();
        var issues = ImmutableArray.CreateBuilder<Issue>();
        foreach (var (rawName, value) in parameters)
        {
            var colon = rawName.IndexOf(':');
            var name = colon < 0 ? rawName : rawName[..colon];
            var modifier = colon < 0 ? null : rawName[(colon + 1)..];
            string? problem = null;
            switch (name)
            {
                case "_count":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                    {
                        query = query with { Count = count };
                    }
                    else
                    {
                        problem = $"_count must be a non-negative integer, not '{value}'.";
                    }
                    break;
                case "_total":
                    query = query with { Total = value switch { "accurate" => TotalMode.Accurate, "estimate" => TotalMode.Estimate, _ => TotalMode.None } };
                    break;
                case "_sort":
                    var keys = ImmutableArray.CreateBuilder<SortKey>();
                    foreach (var key in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var desc = key.StartsWith('-');
                        var code = desc ? key[1..] : key;
                        var type = code switch
                        {
                            "_lastUpdated" => SearchParamType.Date,
                            "_id" => SearchParamType.Token,
                            _ => resourceType is null ? (SearchParamType?)null : spec.FindSearchParameter(resourceType, code)?.Type,
                        };
                        if (type is null)
                        {
                            problem = $"Cannot sort by unknown parameter '{code}'.";
                            break;
                        }
                        keys.Add(new SortKey(code, type.Value, desc));
                    }
                    query = query with { Sort = keys.ToImmutable() };
                    break;
                case "_include" or "_revinclude":
                    var parts = value.Split(':');
                    if (parts.Length is < 2 or > 3)
                    {
                        problem = $"{name} must be Type:parameter[:Target], not '{value}'.";
                        break;
                    }
                    var include = new IncludeDescriptor(parts[0], parts[1], parts.Length == 3 ? parts[2] : null) { Iterate = modifier == "iterate" };
                    query = name == "_include"
                        ? query with { Includes = query.Includes.Add(include) }
                        : query with { RevIncludes = query.RevIncludes.Add(include) };
                    break;
                case "_id":
                    filters.Add(new IdExpression([.. value.Split(',', StringSplitOptions.TrimEntries)]));
                    break;
                case "_type":
                    filters.Add(new TypeExpression([.. value.Split(',', StringSplitOptions.TrimEntries)]));
                    break;
                case "_lastUpdated":
                    var lu = new List<SearchExpression>();
                    foreach (var v in value.Split(','))
                    {
                        if (ParseDate(v) is { } dp)
                        {
                            lu.Add(new LastUpdatedExpression(dp));
                        }
                        else
                        {
                            problem = $"'{v}' is not a valid _lastUpdated value.";
                        }
                    }
                    filters.Add(Or(lu));
                    break;
                default:
                    problem = Parameter(resourceType, name, modifier, value, filters);
                    break;
            }
            if (problem is not null)
            {
                if (handling == SearchHandling.Strict)
                {
                    return new SearchParseResult(null, [Issue.Error(IssueType.NotSupported, problem)]);
                }
                issues.Add(Issue.Warning(IssueType.NotSupported, problem + " The parameter was ignored."));
            }
        }
        var filter = filters.Count switch
        {
            0 => null,
            1 => filters[0],
            _ => new AndExpression([.. filters]),
        };
        return new SearchParseResult(query with { Filter = filter }, issues.ToImmutable());
    }

    /// <summary>Adds the expression of a spec parameter; returns a problem text when it cannot.</summary>
    private string? Parameter(string? resourceType, string name, string? modifier, string value, List<SearchExpression> filters)
    {
        var def = spec.FindSearchParameter(resourceType ?? "Resource", name);
        if (def is null)
        {
            return $"Unknown search parameter '{name}'{(resourceType is null ? "" : " for " + resourceType)}.";
        }
        if (modifier == "missing")
        {
            filters.Add(new MissingExpression(name, def.Type, value == "true"));
            return null;
        }
        var alternatives = new List<SearchExpression>();
        foreach (var v in SplitOr(value))
        {
            ValuePredicate? predicate = def.Type switch
            {
                SearchParamType.Token when modifier is null => Token(v),
                SearchParamType.String when modifier is null or "exact" or "contains" =>
                    new StringPredicate(v, modifier switch { "exact" => StringMatch.Exact, "contains" => StringMatch.Contains, _ => StringMatch.StartsWith }),
                SearchParamType.Reference when modifier is null || spec.IsResourceType(modifier) => Reference(v, modifier),
                SearchParamType.Uri when modifier is null or "below" or "above" =>
                    new UriPredicate(v, modifier switch { "below" => UriMatch.Below, "above" => UriMatch.Above, _ => UriMatch.Exact }),
                SearchParamType.Date when modifier is null => ParseDate(v),
                _ => null,
            };
            if (predicate is null)
            {
                return $"'{name}{(modifier is null ? "" : ":" + modifier)}={v}' is not supported by this server's search parser.";
            }
            alternatives.Add(new ParameterExpression(name, predicate));
        }
        filters.Add(Or(alternatives));
        return null;
    }

    private static SearchExpression Or(List<SearchExpression> alternatives) =>
        alternatives.Count == 1 ? alternatives[0] : new OrExpression([.. alternatives]);

    /// <summary>Comma separates alternatives unless escaped as <c>\,</c>.</summary>
    private static List<string> SplitOr(string value)
    {
        var result = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                current.Append(value[++i]);
            }
            else if (value[i] == ',')
            {
                result.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }
        result.Add(current.ToString());
        return result;
    }

    private static TokenPredicate Token(string v)
    {
        var bar = v.IndexOf('|');
        if (bar < 0)
        {
            return new TokenPredicate(null, v);
        }
        var code = v[(bar + 1)..];
        return new TokenPredicate(v[..bar], code.Length == 0 ? null : code);
    }

    private static ReferencePredicate Reference(string v, string? typeModifier)
    {
        if (v.Contains("://", StringComparison.Ordinal))
        {
            var bar = v.IndexOf('|');
            return new ReferencePredicate(null, null) { Url = bar < 0 ? v : v[..bar], Version = bar < 0 ? null : v[(bar + 1)..] };
        }
        var slash = v.IndexOf('/');
        return slash < 0
            ? new ReferencePredicate(typeModifier, v)
            : new ReferencePredicate(v[..slash], v[(slash + 1)..]);
    }

    private static DatePredicate? ParseDate(string v)
    {
        var prefix = SearchPrefix.Eq;
        if (v.Length > 2 && char.IsAsciiLetterLower(v[0]) && char.IsAsciiLetterLower(v[1]))
        {
            prefix = v[..2] switch
            {
                "eq" => SearchPrefix.Eq,
                "ne" => SearchPrefix.Ne,
                "gt" => SearchPrefix.Gt,
                "lt" => SearchPrefix.Lt,
                "ge" => SearchPrefix.Ge,
                "le" => SearchPrefix.Le,
                "sa" => SearchPrefix.Sa,
                "eb" => SearchPrefix.Eb,
                "ap" => SearchPrefix.Ap,
                _ => (SearchPrefix)(-1),
            };
            if (prefix < 0)
            {
                return null;
            }
            v = v[2..];
        }
        return SearchDates.TryParseRange(v, out var low, out var high) ? new DatePredicate(prefix, low, high) : null;
    }
}
