using System.Text.Json;
using Meridian.Api;

namespace Meridian.Audit.Internal;

/// <summary>
/// The patients an interaction touches, for the AuditEvent's Patient entities (who may later
/// ask for an accounting of disclosures): the Patient itself, the patient/subject reference of
/// a clinical resource, or the patient a search or compartment names.
/// </summary>
internal static class PatientReferences
{
    private static readonly string[] s_fields = ["subject", "patient", "beneficiary"];

    public static void FromResource(string type, string id, ReadOnlyMemory<byte> json, ISet<string> into)
    {
        if (type == "Patient")
        {
            into.Add("Patient/" + id);
            return;
        }
        if (json.IsEmpty)
        {
            return;
        }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            foreach (var field in s_fields)
            {
                if (doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Object
                    && value.TryGetProperty("reference", out var reference) && reference.ValueKind == JsonValueKind.String
                    && Normalise(reference.GetString()!) is { } patient)
                {
                    into.Add(patient);
                }
            }
        }
        catch (JsonException)
        {
            // Not a resource (an error body): no patients to name.
        }
    }

    public static void FromRequest(FhirRequest request, AuditedInteraction interaction, ISet<string> into)
    {
        var s = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (s.Length >= 2 && s[0] == "Patient" && !s[1].StartsWith('_') && !s[1].StartsWith('$'))
        {
            into.Add("Patient/" + s[1]);
        }
        foreach (var (name, value) in request.Query)
        {
            var bare = name.Split(':')[0];
            if (bare is "patient" or "subject" or "beneficiary")
            {
                foreach (var v in value.Split(','))
                {
                    if (Normalise(v, assumePatient: bare == "patient") is { } patient)
                    {
                        into.Add(patient);
                    }
                }
            }
            else if (bare == "_id" && interaction.Type == "Patient")
            {
                foreach (var v in value.Split(','))
                {
                    into.Add("Patient/" + v);
                }
            }
        }
    }

    /// <summary><c>Patient/1</c> from <c>Patient/1</c>, <c>http://x/fhir/Patient/1/_history/2</c> or (for <c>patient=</c>) <c>1</c>.</summary>
    private static string? Normalise(string reference, bool assumePatient = false)
    {
        var s = reference.Split('/');
        for (var i = 0; i + 1 < s.Length; i++)
        {
            if (s[i] == "Patient" && s[i + 1].Length > 0)
            {
                return "Patient/" + s[i + 1];
            }
        }
        return assumePatient && s.Length == 1 && s[0].Length > 0 ? "Patient/" + s[0] : null;
    }
}
