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
        // Every audited read passes the response body through here: a forward-only scan of the
        // top level (no document built) finds the three reference fields. Patients are added only
        // once the whole body proved well-formed, as a parse would.
        string? found0 = null, found1 = null, found2 = null;
        try
        {
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("subject"u8) ? 0 : reader.ValueTextEquals("patient"u8) ? 1 : reader.ValueTextEquals("beneficiary"u8) ? 2 : -1;
                reader.Read();
                if (field < 0 || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                string? reference = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isReference = reader.ValueTextEquals("reference"u8);
                    reader.Read();
                    if (isReference)
                    {
                        // The last one wins, as with a parsed document's property lookup.
                        reference = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    reader.Skip();
                }
                var patient = reference is null ? null : Normalise(reference);
                switch (field)
                {
                    case 0: found0 = patient; break;
                    case 1: found1 = patient; break;
                    default: found2 = patient; break;
                }
            }
            // Anything after the root object makes the body malformed, as it would for a parse.
            if (reader.Read())
            {
                return;
            }
        }
        catch (JsonException)
        {
            // Not a resource (an error body): no patients to name.
            return;
        }
        foreach (var patient in (ReadOnlySpan<string?>)[found0, found1, found2])
        {
            if (patient is not null)
            {
                into.Add(patient);
            }
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
