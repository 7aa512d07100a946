namespace Meridian.Fhir.Tests.Validation;

/// <summary>
/// Official R4 examples that are invalid per the R4 specification itself, with the exact
/// errors they must produce (expression without [n] indices; the distinct set must match).
/// Each is explained in docs/conformance.md (Validation).
/// </summary>
internal static class KnownErrata
{
    public sealed record Expected(string Code, string Expression, string? Source = null);

    public static readonly IReadOnlyDictionary<string, Expected[]> ByFile = new Dictionary<string, Expected[]>(StringComparer.Ordinal)
    {
        // DeviceMetric.parent is Reference(Device); the example points to a DeviceDefinition.
        ["DeviceMetric-example.json"] = [new("invalid", "DeviceMetric.parent.reference")],
        // dispenseRequest.performer is Reference(Organization); the example points to a Practitioner.
        ["MedicationRequest-medrx0301.json"] = [new("invalid", "MedicationRequest.dispenseRequest.performer.reference")],
        // Observation.performer does not allow Encounter.
        ["Observation-clinical-gender.json"] = [new("invalid", "Observation.performer.reference")],
        // DeviceUseStatement.reasonReference does not allow Procedure.
        ["DeviceUseStatement-example.json"] = [new("invalid", "DeviceUseStatement.reasonReference.reference")],
        // Display items nested in the questionnaire have no linkId (1..1).
        ["Questionnaire-qs1.json"] =
        [
            new("required", "Questionnaire.item.item.linkId"),
            new("required", "Questionnaire.item.item.item.linkId"),
            new("required", "Questionnaire.item.item.item.item.linkId"),
        ],
    };
}
