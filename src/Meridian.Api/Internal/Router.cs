using System.Text.RegularExpressions;
using Meridian.Api.Authorization;
using Meridian.Api.Interactions;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Internal;

/// <summary>Maps (method, path shape) to the interaction that handles it.</summary>
internal static partial class Router
{
    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();

    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    public static Task<FhirResponse> DispatchAsync(FhirRequest request, InteractionContext ctx, Lazy<byte[]> capabilities, CancellationToken ct)
    {
        var route = Route.Parse(request.Path);
        if (route.Type is not null && !ctx.Spec.IsResourceType(route.Type))
        {
            return Done(FhirResponse.Error(404, IssueType.NotSupported, $"'{route.Type}' is not a resource type this server knows."));
        }
        if (route.Id is not null && !IsValidId(route.Id))
        {
            return Done(FhirResponse.Error(400, IssueType.Invalid, $"'{route.Id}' is not a valid FHIR id."));
        }
        return AccessGate.RunAsync(request, route, ctx, c => Dispatch(request, route, c, capabilities, ct), ct);
    }

    private static Task<FhirResponse> Dispatch(FhirRequest request, Route route, InteractionContext ctx, Lazy<byte[]> capabilities, CancellationToken ct)
    {
        var m = request.Method;
        return (route.Kind, m) switch
        {
            (RouteKind.Metadata, "GET") => Done(new FhirResponse(200, capabilities.Value)),
            (RouteKind.Base, "GET") => SearchInteraction.HandleAsync(request, null, ctx, ct),
            (RouteKind.Base, "POST") => BundleInteraction.HandleAsync(request, ctx, capabilities, ct),
            (RouteKind.SystemSearch, "POST") => SearchInteraction.HandleAsync(request, null, ctx, ct),
            (RouteKind.SystemHistory, "GET") => HistoryInteraction.HandleAsync(request, route, ctx, ct),
            (RouteKind.Type, "GET") => SearchInteraction.HandleAsync(request, route.Type, ctx, ct),
            (RouteKind.Type, "POST") => CreateInteraction.HandleAsync(request, route.Type!, ctx, ct),
            (RouteKind.Type, "PUT") => ConditionalUpdateInteraction.HandleAsync(request, route.Type!, ctx, ct),
            (RouteKind.Type, "DELETE") => ConditionalDeleteInteraction.HandleAsync(request, route.Type!, ctx, ct),
            (RouteKind.Type, "PATCH") => ConditionalPatchInteraction.HandleAsync(request, route.Type!, ctx, ct),
            (RouteKind.TypeSearch, "POST") => SearchInteraction.HandleAsync(request, route.Type, ctx, ct),
            (RouteKind.TypeHistory, "GET") => HistoryInteraction.HandleAsync(request, route, ctx, ct),
            (RouteKind.Instance, "GET") => ReadInteraction.HandleAsync(request, route.Type!, route.Id!, ctx, ct),
            (RouteKind.Instance, "PUT") => UpdateInteraction.HandleAsync(request, route.Type!, route.Id!, ctx, ct),
            (RouteKind.Instance, "PATCH") => PatchInteraction.HandleAsync(request, route.Type!, route.Id!, ctx, ct),
            (RouteKind.Instance, "DELETE") => DeleteInteraction.HandleAsync(request, route.Type!, route.Id!, ctx, ct),
            (RouteKind.Compartment, "GET") or (RouteKind.CompartmentSearch, "POST") => CompartmentSearchInteraction.HandleAsync(request, route, ctx, ct),
            (RouteKind.InstanceHistory, "GET") => HistoryInteraction.HandleAsync(request, route, ctx, ct),
            (RouteKind.Version, "GET") => VReadInteraction.HandleAsync(request, route, ctx, ct),
            (RouteKind.TypeOperation or RouteKind.InstanceOperation, _) when route.Operation == "validate" && m is "POST" or "GET"
                => ValidateOperation.HandleAsync(request, route, ctx, ct),
            (RouteKind.InstanceOperation, "GET" or "POST") when route.Operation == "everything" && route.Type == "Patient"
                => EverythingOperation.HandleAsync(request, route.Id!, ctx, ct),
            (RouteKind.InstanceOperation, "POST") when route.Operation == "purge" && route.Type == "Patient"
                => PurgeOperation.HandleAsync(request, route.Id!, ctx, ct),
            (RouteKind.InstanceOperation, "GET") when route.Operation == "export-record" && route.Type == "Patient"
                => ExportRecordOperation.HandleAsync(request, route.Id!, ctx, ct),
            (RouteKind.SystemOperation or RouteKind.TypeOperation or RouteKind.InstanceOperation, _)
                => Done(FhirResponse.Error(404, IssueType.NotSupported, $"Operation ${route.Operation} is not supported here.")),
            (RouteKind.Invalid, _) => Done(FhirResponse.Error(404, IssueType.NotFound, $"'{request.Path}' is not a FHIR endpoint.")),
            _ => Done(FhirResponse.Error(405, IssueType.NotSupported, $"{m} is not allowed on '{(request.Path.Length == 0 ? "[base]" : request.Path)}'.")),
        };
    }

    private static Task<FhirResponse> Done(FhirResponse response) => Task.FromResult(response);
}
