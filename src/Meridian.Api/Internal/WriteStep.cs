using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>
/// A write interaction split in two so a transaction can run many in one store transaction:
/// the planned <see cref="Operation"/> and how to answer once it committed, or an answer that
/// needs no write at all (<see cref="Done"/>: an error, or a conditional create that matched).
/// </summary>
internal sealed record WriteStep(WriteOperation? Operation, Func<WriteResult, FhirResponse>? Respond, FhirResponse? Done)
{
    public static WriteStep Finished(FhirResponse response) => new(null, null, response);

    public static WriteStep Write(WriteOperation operation, Func<WriteResult, FhirResponse> respond) => new(operation, respond, null);

    /// <summary>Runs a single step as its own transaction.</summary>
    public async Task<FhirResponse> ExecuteAsync(FhirRequest request, InteractionContext ctx, CancellationToken ct)
    {
        if (Done is not null)
        {
            return Done;
        }
        var result = await ctx.Store.TransactAsync(request.Tenant, [Operation!], request.WriteOptions, ct).ConfigureAwait(false);
        return result.Failure is { } failure ? Responses.StoreFailure(failure) : Respond!(result.Results[0]);
    }
}
