using System.Text;
using Meridian.Api;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Fhir.Conversion;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>
/// The HL7 engine's processor: converts a stored message with its sender's mapping set and posts
/// the transaction Bundle to the FHIR interaction layer — the same path a REST client's
/// transaction takes — as the sending integration (<see cref="Caller.System"/> with its client
/// id), so the write is authorized, validated and audited like any other. The Bundle upserts by
/// identifier or deterministic id, so processing a message twice (a crash before its completion
/// mark, a replay) changes nothing. Failures come back as values with the precise reason.
/// </summary>
public sealed class FhirMappingProcessor(FhirApi api, MappingSetCatalog catalog, Hl7ConversionOptions? options = null) : IHl7MessageProcessor
{
    private readonly FhirApi _api = api ?? throw new ArgumentNullException(nameof(api));
    private readonly MappingSetCatalog _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
    private readonly Hl7ConversionOptions _options = options ?? Hl7ConversionOptions.Default;

    /// <summary>The scopes the integration writes with: create/update (conditional) on any type, and search for conditional matching.</summary>
    public static readonly string[] Scopes = ["system/*.cus"];

    public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var set = _catalog.Get(message.MappingSet);
        if (set.Problems.Length > 0)
        {
            return ProcessingOutcome.Failed($"mapping set '{set.Name}' is broken: {set.Problems[0]}" + (set.Problems.Length > 1 ? $" (and {set.Problems.Length - 1} more)" : ""));
        }
        var result = new Hl7FhirConverter(set).Convert(message.Raw, _options with { Sender = message.Sender });
        if (!result.Success)
        {
            return ProcessingOutcome.Failed(result.Error!);
        }
        var request = new FhirRequest("POST", "")
        {
            Tenant = message.Tenant,
            Body = result.ToUtf8(),
            Headers = new FhirRequestHeaders { ContentType = "application/fhir+json", Prefer = "return=minimal" },
            Caller = Caller.System(message.ClientId, Scopes),
        };
        var response = await _api.HandleAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccess)
        {
            return ProcessingOutcome.Processed;
        }
        var detail = response.Issues.Length > 0
            ? string.Join("; ", response.Issues.Take(3).Select(i => i.ToString()))
            : Encoding.UTF8.GetString(response.Body.Span);
        return ProcessingOutcome.Failed($"the FHIR transaction was refused ({response.Status}): {detail}");
    }
}
