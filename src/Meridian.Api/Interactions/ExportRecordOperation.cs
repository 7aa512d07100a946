using System.Buffers;
using System.Globalization;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>GET Patient/[id]/$export-record</c>: the patient's full record for an access request —
/// the Patient and every resource of its compartment (<see cref="PatientCompartment"/>) with
/// every stored version, newest first per resource (deleted versions carry no content and are
/// left out). A <c>collection</c> Bundle, or NDJSON (one version per line) with
/// <c>_outputFormat=application/fhir+ndjson</c> (the Bulk Data spelling; <c>ndjson</c> too).
/// Only an admin or the patient themselves (<see cref="Caller.PatientContext"/> equal to the id)
/// may ask. Bounded: a record of more than <see cref="MaxVersions"/> versions is refused with
/// <c>too-costly</c> rather than answered partly.
/// </summary>
internal static class ExportRecordOperation
{
    public const int MaxVersions = 50_000;

    private const string NdjsonType = "application/fhir+ndjson";

    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string id, InteractionContext ctx, CancellationToken ct)
    {
        if (!PatientCompartment.IsAdmin(request.Caller) && request.Caller.PatientContext != id)
        {
            return FhirResponse.Error(403, "forbidden", "$export-record is restricted to the admin role and to the patient themselves.");
        }
        var ndjson = request.QueryValue("_outputFormat") switch
        {
            null or "application/fhir+json" or "json" => false,
            "application/fhir+ndjson" or "application/ndjson" or "ndjson" => true,
            _ => (bool?)null,
        };
        if (ndjson is null)
        {
            return FhirResponse.Error(400, IssueType.NotSupported, $"_outputFormat '{request.QueryValue("_outputFormat")}' is not supported; use application/fhir+json or application/fhir+ndjson.");
        }
        var patient = await ctx.Store.ReadAsync(request.Tenant, "Patient", id, ct).ConfigureAwait(false);
        if (patient is null)
        {
            return Responses.NotFound("Patient", id);
        }
        var resources = new List<(string Type, string Id)> { ("Patient", id) };
        resources.AddRange((await PatientCompartment.RecordAsync(request.Tenant, id, ctx, ct).ConfigureAwait(false)).Select(m => (m.Type, m.Id)));
        var versions = new List<StoredResource>();
        foreach (var (type, rid) in resources)
        {
            var query = new HistoryQuery(type, rid) { Count = ctx.Options.MaxPageSize };
            for (var pages = 0; pages < 1_000_000; pages++)
            {
                var page = await ctx.Store.HistoryAsync(request.Tenant, query, ct).ConfigureAwait(false);
                versions.AddRange(page.Entries.Where(e => !e.IsDeleted));
                if (versions.Count > MaxVersions)
                {
                    return FhirResponse.Error(413, IssueType.TooCostly, string.Create(CultureInfo.InvariantCulture,
                        $"The record of Patient/{id} has more than {MaxVersions} versions; export it with the bulk tools."));
                }
                if (page.NextCursor is null)
                {
                    break;
                }
                query = query with { Cursor = page.NextCursor };
            }
        }
        if (ndjson.Value)
        {
            return new FhirResponse(200, Ndjson(versions)) { ContentType = NdjsonType };
        }
        var entries = versions.Select(v => new BundleEntry(BundleWriter.FullUrl(request.BaseUrl, v), v.Json)).ToList();
        var self = $"{request.BaseUrl}/Patient/{id}/$export-record";
        return new FhirResponse(200, BundleWriter.Write("collection", null, [("self", self)], entries));
    }

    /// <summary>Stored JSON is compact (one line) already: NDJSON is the versions joined by newlines.</summary>
    private static byte[] Ndjson(List<StoredResource> versions)
    {
        var buffer = new ArrayBufferWriter<byte>(versions.Sum(v => v.Json.Length + 1));
        foreach (var v in versions)
        {
            buffer.Write(v.Json.Span);
            buffer.Write("\n"u8);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
