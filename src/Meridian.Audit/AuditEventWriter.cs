using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Meridian.Fhir.Serialization;
using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// Writes an <see cref="AuditRecord"/> as a FHIR R4 AuditEvent in the shape of IHE Basic Audit
/// Log Patterns (BALP) for RESTful interactions: type <c>rest</c>, subtype the interaction,
/// agents for the user (requestor), the client application (source role, network address) and
/// this server (destination role), the tenant as <c>source.site</c>, entities for resources
/// (versioned references), the query and the patients. Break-the-glass access carries the
/// <c>BTG</c> purpose of use, a <c>BTG</c> security label and the clinician's reason.
/// </summary>
public static class AuditEventWriter
{
    public const string ServerName = "Meridian FHIR server";
    public const string UserAgentExtension = "https://meridian.dev/fhir/StructureDefinition/audit-user-agent";

    private const string Dcm = "http://dicom.nema.org/resources/ontology/DCM";
    private const string ActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    private const string EntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    private const string ObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";

    public static byte[] ToJson(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var buffer = new ArrayBufferWriter<byte>(2048);
        // The FHIR writer's options (its escaping), so these bytes are the canonical form the
        // generic parse-and-write round trip would give (tested): stored as they are.
        using (var w = new Utf8JsonWriter(buffer, FhirJsonWriter.Options))
        {
            Write(w, record);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The AuditEvent as store content: the written bytes as they are (already canonical, see
    /// <see cref="ToJson"/>), unindexed (<see cref="ResourceContent.Unindexed"/>): the request
    /// path neither parses them nor extracts search values. A store that defers AuditEvent
    /// indexing (<see cref="StoreOptions.DeferredIndexTypes"/>, <see cref="AuditTypes.DeferredIndex"/>)
    /// indexes them in the background in large batches; any other store extracts the index
    /// from the stored JSON in the write itself.
    /// </summary>
    public static ResourceContent ToContent(AuditRecord record) => ResourceContent.Unindexed(ToJson(record));

    private static void Write(Utf8JsonWriter w, AuditRecord r)
    {
        var caller = r.Caller;
        var breakGlass = !string.IsNullOrEmpty(caller.BreakGlassReason);
        w.WriteStartObject();
        w.WriteString("resourceType", "AuditEvent");
        if (breakGlass)
        {
            w.WriteStartObject("meta");
            w.WriteStartArray("security");
            Coding(w, ActReason, "BTG", "break the glass");
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WritePropertyName("type");
        Coding(w, "http://terminology.hl7.org/CodeSystem/audit-event-type", "rest", "RESTful Operation");
        w.WriteStartArray("subtype");
        Coding(w, "http://hl7.org/fhir/restful-interaction", r.Subtype, null);
        if (r.Operation is { } op)
        {
            Coding(w, "urn:meridian:fhir-operation", "$" + op, null);
        }
        w.WriteEndArray();
        w.WriteString("action", r.Action);
        w.WriteString("recorded", r.Recorded.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("outcome", r.Outcome);
        if (r.OutcomeDescription is { Length: > 0 } desc)
        {
            w.WriteString("outcomeDesc", desc);
        }
        if (breakGlass)
        {
            w.WriteStartArray("purposeOfEvent");
            BreakGlass(w, caller.BreakGlassReason!);
            w.WriteEndArray();
        }
        w.WriteStartArray("agent");
        WriteAgents(w, r);
        w.WriteEndArray();
        w.WriteStartObject("source");
        w.WriteString("site", r.Tenant);
        w.WriteStartObject("observer");
        w.WriteString("display", ServerName);
        w.WriteEndObject();
        w.WriteStartArray("type");
        Coding(w, "http://terminology.hl7.org/CodeSystem/security-source-type", "4", "Application Server");
        w.WriteEndArray();
        w.WriteEndObject();
        WriteEntities(w, r);
        w.WriteEndObject();
    }

    private static void WriteAgents(Utf8JsonWriter w, AuditRecord r)
    {
        var c = r.Caller;
        var hasUser = c.UserId is not null || c.FhirUser is not null;
        if (hasUser)
        {
            w.WriteStartObject();
            w.WritePropertyName("type");
            Concept(w, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient");
            Roles(w, c);
            w.WriteStartObject("who");
            if (c.FhirUser is { } fhirUser)
            {
                w.WriteString("reference", fhirUser);
            }
            if (c.UserId is { } user)
            {
                Identifier(w, "urn:meridian:user", user);
            }
            w.WriteEndObject();
            if (c.UserId is { } alt)
            {
                w.WriteString("altId", alt);
            }
            w.WriteBoolean("requestor", true);
            if (!string.IsNullOrEmpty(c.BreakGlassReason))
            {
                w.WriteStartArray("purposeOfUse");
                BreakGlass(w, c.BreakGlassReason);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        // The client application: the requestor itself when no user is involved (backend services).
        w.WriteStartObject();
        if (c.UserAgent is { Length: > 0 } ua)
        {
            w.WriteStartArray("extension");
            w.WriteStartObject();
            w.WriteString("url", UserAgentExtension);
            w.WriteString("valueString", ua);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WritePropertyName("type");
        Concept(w, Dcm, "110153", "Source Role ID");
        if (!hasUser)
        {
            Roles(w, c);
        }
        w.WriteStartObject("who");
        if (c.ClientId is { } client)
        {
            Identifier(w, "urn:meridian:client", client);
        }
        w.WriteString("display", c.ClientId ?? "anonymous");
        w.WriteEndObject();
        w.WriteBoolean("requestor", !hasUser);
        if (c.TokenId is { } jti)
        {
            w.WriteStartArray("policy");
            w.WriteStringValue("urn:meridian:token:" + Uri.EscapeDataString(jti));
            w.WriteEndArray();
        }
        if (c.RemoteAddress is { Length: > 0 } address)
        {
            w.WriteStartObject("network");
            w.WriteString("address", address);
            w.WriteString("type", "2"); // IP address
            w.WriteEndObject();
        }
        w.WriteEndObject();

        // This server, the destination of the request.
        w.WriteStartObject();
        w.WritePropertyName("type");
        Concept(w, Dcm, "110152", "Destination Role ID");
        w.WriteStartObject("who");
        w.WriteString("display", ServerName);
        w.WriteEndObject();
        w.WriteBoolean("requestor", false);
        w.WriteEndObject();
    }

    private static void WriteEntities(Utf8JsonWriter w, AuditRecord r)
    {
        if (r.Resources.IsEmpty && r.Patients.IsEmpty && r.Query is null && r.Request is null)
        {
            return;
        }
        w.WriteStartArray("entity");
        foreach (var reference in r.Resources)
        {
            ReferenceEntity(w, reference, "2", "System Object", "4", "Domain Resource");
        }
        if (r.Query is not null || (r.Resources.IsEmpty && r.Request is not null))
        {
            // The request itself: for searches the query (base64, as BALP asks), otherwise the
            // path, so even a refused or failed request names what it asked for.
            w.WriteStartObject();
            w.WritePropertyName("type");
            Coding(w, EntityType, "2", "System Object");
            w.WritePropertyName("role");
            Coding(w, ObjectRole, "24", "Query");
            if (r.Request is { } request)
            {
                w.WriteString("description", request);
            }
            if (r.Query is { } query)
            {
                w.WriteString("query", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(query)));
            }
            w.WriteEndObject();
        }
        foreach (var patient in r.Patients)
        {
            ReferenceEntity(w, patient, "1", "Person", "1", "Patient");
        }
        w.WriteEndArray();
    }

    /// <summary>One entity naming a resource by reference, with its BALP entity type and role.</summary>
    private static void ReferenceEntity(Utf8JsonWriter w, string reference, string typeCode, string typeDisplay, string roleCode, string roleDisplay)
    {
        w.WriteStartObject();
        w.WriteStartObject("what");
        w.WriteString("reference", reference);
        w.WriteEndObject();
        w.WritePropertyName("type");
        Coding(w, EntityType, typeCode, typeDisplay);
        w.WritePropertyName("role");
        Coding(w, ObjectRole, roleCode, roleDisplay);
        w.WriteEndObject();
    }

    private static void Roles(Utf8JsonWriter w, Api.Caller c)
    {
        if (c.Roles.IsDefaultOrEmpty)
        {
            return;
        }
        w.WriteStartArray("role");
        foreach (var role in c.Roles)
        {
            w.WriteStartObject();
            w.WriteStartArray("coding");
            Coding(w, "urn:meridian:role", role, null);
            w.WriteEndArray();
            w.WriteString("text", role);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void BreakGlass(Utf8JsonWriter w, string reason)
    {
        w.WriteStartObject();
        w.WriteStartArray("coding");
        Coding(w, ActReason, "BTG", "break the glass");
        w.WriteEndArray();
        w.WriteString("text", reason);
        w.WriteEndObject();
    }

    private static void Identifier(Utf8JsonWriter w, string system, string value)
    {
        w.WriteStartObject("identifier");
        w.WriteString("system", system);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void Concept(Utf8JsonWriter w, string system, string code, string display)
    {
        w.WriteStartObject();
        w.WriteStartArray("coding");
        Coding(w, system, code, display);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Coding(Utf8JsonWriter w, string system, string code, string? display)
    {
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("code", code);
        if (display is not null)
        {
            w.WriteString("display", display);
        }
        w.WriteEndObject();
    }
}
