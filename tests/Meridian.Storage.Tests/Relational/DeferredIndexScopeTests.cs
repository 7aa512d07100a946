using System.Collections.Immutable;
using Meridian.Storage.Relational;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Tests.Relational;

/// <summary>Which searches must wait for the deferred indexer (AuditEvent deferred).</summary>
public sealed class DeferredIndexScopeTests
{
    private static readonly ImmutableArray<string> s_deferred = ["AuditEvent"];

    private static ParameterExpression Token(string code, string value) => new(code, new TokenPredicate(null, value));

    public static TheoryData<string, SearchQuery, bool> Cases => new()
    {
        { "AuditEvent by type", new SearchQuery("AuditEvent", Token("site", "x")), true },
        { "Patient by family", new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("x"))), false },
        { "system search", new SearchQuery(null), true },
        { "_type names it", new SearchQuery("Patient", new TypeExpression(["Patient", "AuditEvent"])), true },
        { "_type without it", new SearchQuery("Patient", new TypeExpression(["Patient", "Observation"])), false },
        { "_has from it", new SearchQuery("Patient", new ReverseChainedExpression("AuditEvent", "patient", Token("site", "x"))), true },
        { "_has from another type", new SearchQuery("Patient", new ReverseChainedExpression("Observation", "subject", Token("code", "x"))), false },
        { "_has nested in a chain", new SearchQuery("Observation", new ChainedExpression("subject", "Patient", new ReverseChainedExpression("AuditEvent", "patient", Token("site", "x")))), true },
        { "chain naming it", new SearchQuery("Provenance", new ChainedExpression("target", "AuditEvent", Token("site", "x"))), true },
        { "untyped chain to a parameter it has", new SearchQuery("Provenance", new ChainedExpression("target", null, Token("site", "x"))), true },
        { "untyped chain to parameters it lacks", new SearchQuery("Observation", new ChainedExpression("subject", null, new ParameterExpression("family", new StringPredicate("x")))), false },
        { "under NOT and OR", new SearchQuery("Patient", new NotExpression(new OrExpression([Token("gender", "x"), new ReverseChainedExpression("AuditEvent", "patient", Token("site", "x"))]))), true },
        { "revinclude from it", new SearchQuery("Patient") { RevIncludes = [new IncludeDescriptor("AuditEvent", "patient")] }, true },
        { "revinclude from another type", new SearchQuery("Patient") { RevIncludes = [new IncludeDescriptor("Observation", "subject")] }, false },
        { "wildcard include", new SearchQuery("Patient") { Includes = [new IncludeDescriptor("*", "*")] }, true },
        { "include from the searched type", new SearchQuery("Observation") { Includes = [new IncludeDescriptor("Observation", "subject")] }, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Waits_exactly_when_the_search_can_read_index_rows_of_a_deferred_type(string name, SearchQuery query, bool waits)
    {
        Assert.True(DeferredIndexScope.Touches(query, s_deferred) == waits, name);
        Assert.False(DeferredIndexScope.Touches(query, []), name);
    }
}
