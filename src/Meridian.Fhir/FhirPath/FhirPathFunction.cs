namespace Meridian.Fhir.FhirPath;

/// <summary>
/// A host-supplied function for <see cref="FhirPathEngine"/> (e.g. memberOf() backed by a terminology
/// service). Arguments are evaluated before the call against the caller's focus; the body receives
/// the input collection, the argument collections and the evaluation context.
/// </summary>
public sealed record FhirPathFunction(
    string Name,
    int MinArgs,
    int MaxArgs,
    Func<IReadOnlyList<object>, IReadOnlyList<object>[], EvaluationContext?, IReadOnlyList<object>> Body);
