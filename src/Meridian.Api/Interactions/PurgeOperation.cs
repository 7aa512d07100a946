using System.Globalization;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>POST Patient/[id]/$purge</c>: hard-deletes the patient's record (right to erasure) — the
/// Patient and every resource of its compartment (<see cref="PatientCompartment"/>), every
/// version, their index rows, their change-feed rows (replaced by purge markers) — in one store
/// transaction. Admins only: this check is deliberately local and simple (the <c>admin</c> role)
/// so the operation is never open, whatever the general authorization layer decides. A purged
/// patient reads as never having existed (404). AuditEvents stay: they are the record of the purge.
/// </summary>
internal static class PurgeOperation
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string id, InteractionContext ctx, CancellationToken ct)
    {
        if (!PatientCompartment.IsAdmin(request.Caller))
        {
            return FhirResponse.Error(403, "forbidden", "$purge is restricted to the admin role.");
        }
        // The hard delete goes to the store itself, past the per-request wrappers: only admins
        // get here, and the interceptor audits the operation.
        if (ctx.Store.Find<IFhirStoreMaintenance>() is not { } maintenance)
        {
            return FhirResponse.Error(501, IssueType.NotSupported, "This store cannot hard-delete resources.");
        }
        var patient = await ctx.Store.ReadAsync(request.Tenant, "Patient", id, ct).ConfigureAwait(false);
        if (patient is null)
        {
            return Responses.NotFound("Patient", id);
        }
        // A deleted patient is purged too: its earlier versions and its compartment still hold data.
        var targets = new List<ResourceRef> { new("Patient", id) };
        targets.AddRange(await PatientCompartment.RecordAsync(request.Tenant, id, ctx, ct).ConfigureAwait(false));
        var result = await maintenance.PurgeAsync(request.Tenant, targets, new TransactOptions(System.Diagnostics.Activity.Current?.TraceId.ToString()), ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Responses.StoreFailure(result.Failure!);
        }
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Patient/{id} purged: {result.Resources} resources ({result.Versions} versions) removed, AuditEvents kept.");
        return FhirResponse.Outcome(200, [new Issue(IssueSeverity.Information, IssueType.Informational, message)]);
    }
}
