using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// The mutable state of one <see cref="SearchQueryParser.Parse(string?, IReadOnlyList{QueryParameter}, SearchHandling)"/>
/// call (never shared): pairs are handled in order, each either applied or rejected as a
/// whole, so a lenient search never runs with half of a parameter.
/// </summary>
internal sealed class SearchParseRun(SearchQueryParser parser, FilterParser filters, ResultParameterParser results, SearchHandling handling)
{
    /// <summary>Parameters for the HTTP layer (formats, pretty printing): accepted, no effect on the query.</summary>
    private static readonly HashSet<string> s_transport = ["_format", "_pretty"];

    /// <summary>Parameters FHIR defines that Meridian does not implement: reported clearly, not as "unknown".</summary>
    private static readonly HashSet<string> s_notSupported = ["_text", "_content", "_list", "_query", "_filter", "_containedType"];

    private readonly List<SearchExpression> _filter = [];
    private readonly List<Issue> _issues = [];
    private readonly List<QueryParameter> _applied = [];
    private readonly List<QueryParameter> _ignored = [];
    private readonly List<IncludeDescriptor> _includes = [];
    private readonly List<IncludeDescriptor> _revIncludes = [];
    private readonly HashSet<string> _seenSingle = [];
    private ImmutableArray<SortKey> _sort = [];
    private int? _count;
    private TotalMode _total = TotalMode.None;
    private string? _cursor;
    private SearchResultShape _shape = SearchResultShape.Default;

    public SearchParseResult Execute(string? resourceType, IReadOnlyList<QueryParameter> parameters, SearchCompartment? compartment)
    {
        if (resourceType is not null && !parser.Spec.IsResourceType(resourceType))
        {
            // Not a parameter problem: no handling mode makes an unknown type searchable.
            _issues.Add(Issue.Error(IssueType.NotSupported, $"'{resourceType}' is not a resource type"));
            return Build(resourceType);
        }
        if (compartment is not null)
        {
            var inCompartment = CompartmentFilter.Build(parser.Spec, compartment, resourceType);
            if (!inCompartment.IsOk)
            {
                // The path names the compartment, not a parameter: this is never lenient.
                _issues.Add(Issue.Error(inCompartment.IssueCode, inCompartment.Error!));
                return Build(resourceType);
            }
            _filter.Add(inCompartment.Value!);
        }
        var scope = resourceType is null ? new SearchScope(null, ReadTypes(parameters)) : SearchScope.Of(resourceType);
        foreach (var pair in parameters)
        {
            Handle(resourceType, scope, pair);
        }
        return Build(resourceType);
    }

    /// <summary>
    /// The <c>_type</c> list comes first: it decides which parameters the others may name.
    /// Repeated <c>_type</c> pairs are ANDed like any parameter, so their lists intersect.
    /// </summary>
    private ImmutableArray<string> ReadTypes(IReadOnlyList<QueryParameter> parameters)
    {
        List<string>? types = null;
        foreach (var pair in parameters)
        {
            if (pair.Name != "_type")
            {
                continue;
            }
            var listed = pair.Value.Split(',').ToList();
            if (!listed.TrueForAll(parser.Spec.IsResourceType))
            {
                continue; // rejected as a whole by HandleType, so it must not scope the others either
            }
            if (types is null)
            {
                types = listed;
            }
            else
            {
                types.RemoveAll(t => !listed.Contains(t));
            }
        }
        return types is null ? [] : [.. types.Distinct()];
    }

    private void Handle(string? resourceType, SearchScope scope, QueryParameter pair)
    {
        var (name, modifier) = Split(pair.Name);
        if (s_transport.Contains(name))
        {
            _applied.Add(pair);
            return;
        }
        if (s_notSupported.Contains(name))
        {
            Reject(pair, IssueType.NotSupported, $"search parameter '{name}' is not supported");
            return;
        }
        if (name is "_count" or "_total" or "_summary" or "_sort" or "_elements" or "_cursor" or "_contained"
            && !_seenSingle.Add(name))
        {
            Reject(pair, IssueType.Invalid, $"{name} may appear only once");
            return;
        }
        if (modifier is not null && name is "_count" or "_total" or "_summary" or "_sort" or "_elements" or "_cursor" or "_contained" or "_type")
        {
            Reject(pair, IssueType.Invalid, $"{name} takes no modifier");
            return;
        }
        switch (name)
        {
            case "_type":
                HandleType(resourceType, pair);
                return;
            case "_count":
                var count = ResultParameterParser.Count(pair.Value, parser.Options.MaxCount, out var lowered);
                if (Accept(pair, count))
                {
                    _count = count.Value;
                    if (lowered)
                    {
                        _issues.Add(Issue.Warning(IssueType.TooCostly, $"_count={pair.Value} is above the maximum; pages hold at most {parser.Options.MaxCount}"));
                    }
                }
                return;
            case "_total":
                var total = ResultParameterParser.Total(pair.Value);
                if (Accept(pair, total))
                {
                    _total = total.Value;
                }
                return;
            case "_summary":
                var summary = ResultParameterParser.Summary(pair.Value);
                if (Accept(pair, summary))
                {
                    _shape = _shape with { Summary = summary.Value };
                }
                return;
            case "_elements":
                var elements = results.Elements(resourceType, pair.Value);
                if (Accept(pair, elements))
                {
                    _shape = _shape with { Elements = elements.Value };
                }
                return;
            case "_sort":
                var sort = results.Sort(scope, pair.Value);
                if (Accept(pair, sort))
                {
                    _sort = sort.Value;
                }
                return;
            case "_include" or "_revinclude":
                var reverse = name == "_revinclude";
                var include = results.Include(scope, name, modifier, pair.Value, reverse);
                if (Accept(pair, include))
                {
                    (reverse ? _revIncludes : _includes).AddRange(include.Value);
                }
                return;
            case "_cursor":
                _cursor = pair.Value;
                _applied.Add(pair);
                return;
            case "_contained":
                // Only the default (search the containers, not contained resources) is supported.
                if (pair.Value == "false")
                {
                    _applied.Add(pair);
                }
                else
                {
                    Reject(pair, IssueType.NotSupported, $"_contained={pair.Value} is not supported (contained resources are not searched)");
                }
                return;
        }
        var expression = filters.Parse(scope, pair.Name, pair.Value);
        if (Accept(pair, expression))
        {
            _filter.Add(expression.Value!);
        }
    }

    private void HandleType(string? resourceType, QueryParameter pair)
    {
        if (resourceType is not null)
        {
            Reject(pair, IssueType.Invalid, $"_type is only valid in a search across all types, not in a {resourceType} search");
            return;
        }
        var types = ImmutableArray.CreateBuilder<string>();
        foreach (var t in pair.Value.Split(','))
        {
            if (!parser.Spec.IsResourceType(t))
            {
                Reject(pair, IssueType.Invalid, $"_type: '{t}' is not a resource type");
                return;
            }
            types.Add(t);
        }
        _filter.Add(new TypeExpression(types.ToImmutable()));
        _applied.Add(pair);
    }

    private bool Accept<T>(QueryParameter pair, Parsed<T> parsed)
    {
        if (parsed.IsOk)
        {
            _applied.Add(pair);
            return true;
        }
        Reject(pair, parsed.IssueCode, parsed.Error!);
        return false;
    }

    private void Reject(QueryParameter pair, string code, string message)
    {
        if (handling == SearchHandling.Strict)
        {
            _issues.Add(Issue.Error(code, message, pair.Name));
        }
        else
        {
            _issues.Add(Issue.Warning(code, $"{message}; parameter ignored", pair.Name));
            _ignored.Add(pair);
        }
    }

    private SearchParseResult Build(string? resourceType)
    {
        SearchExpression? filter = _filter.Count switch
        {
            0 => null,
            1 => _filter[0],
            _ => new AndExpression([.. _filter]),
        };
        var query = new SearchQuery(resourceType, filter)
        {
            Sort = _sort,
            Count = _count ?? parser.Options.DefaultCount,
            Cursor = _cursor,
            Includes = [.. _includes],
            RevIncludes = [.. _revIncludes],
            Total = _total,
        };
        foreach (var rewriter in parser.Options.Rewriters)
        {
            query = rewriter.Rewrite(query);
        }
        return new SearchParseResult(query, _shape, [.. _issues], [.. _applied], [.. _ignored]);
    }

    private static (string Name, string? Modifier) Split(string key)
    {
        // _has and chains keep their colons: only the result parameters take a modifier here.
        if (key.StartsWith("_include:", StringComparison.Ordinal) || key.StartsWith("_revinclude:", StringComparison.Ordinal))
        {
            var colon = key.IndexOf(':');
            return (key[..colon], key[(colon + 1)..]);
        }
        if (key.StartsWith('_') && !key.StartsWith("_has", StringComparison.Ordinal) && key.IndexOf(':') is var c and > 0 && key.IndexOf('.') < 0)
        {
            return (key[..c], key[(c + 1)..]);
        }
        return (key, null);
    }
}
