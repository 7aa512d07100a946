using Meridian.Fhir.Specification;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>Which modifiers each parameter type takes, and which FHIR defines but Meridian does not evaluate.</summary>
internal static class ModifierRules
{
    public enum Verdict { Allowed, NotSupported, Invalid }

    /// <summary><paramref name="modifier"/> is null for none; reference type modifiers are checked by the caller.</summary>
    public static Verdict Check(SearchParamType type, string? modifier) => (type, modifier) switch
    {
        (_, null) => Verdict.Allowed,
        (_, "missing") => Verdict.Allowed,
        (SearchParamType.String, "exact" or "contains") => Verdict.Allowed,
        (SearchParamType.String, "text") => Verdict.NotSupported,
        (SearchParamType.Token, "not" or "text" or "of-type") => Verdict.Allowed,
        // Subsumption and value-set membership need a terminology server.
        (SearchParamType.Token, "in" or "not-in" or "above" or "below") => Verdict.NotSupported,
        (SearchParamType.Reference, "identifier") => Verdict.Allowed,
        (SearchParamType.Reference, "above" or "below") => Verdict.NotSupported,
        (SearchParamType.Uri, "above" or "below") => Verdict.Allowed,
        (SearchParamType.Uri, "contains") => Verdict.NotSupported,
        _ => Verdict.Invalid,
    };
}
