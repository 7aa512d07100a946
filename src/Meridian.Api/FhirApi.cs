using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meridian.Api.Authorization;
using Meridian.Api.Internal;
using Meridian.Fhir.Validation;
using Meridian.Storage;

namespace Meridian.Api;

/// <summary>
/// The FHIR R4 RESTful API over a store, as a function: <c>HandleAsync(request) → response</c>
/// (after samply/blaze and medplum, the router knows nothing about HTTP frameworks). The
/// ASP.NET host, HL7 v2 and device pipelines all enter here. Thread-safe; share one instance.
/// </summary>
public sealed class FhirApi
{
    /// <summary>The tenant of single-tenant deployments (<c>/fhir/...</c>).</summary>
    public const string DefaultTenant = "default";

    private readonly InteractionContext _ctx;
    private readonly Lazy<byte[]> _capabilities;
    private readonly Authorizer _authorizer;

    public FhirApi(IFhirStore store, ISearchQueryParser? searchParser = null, FhirApiOptions? options = null, FhirValidator? validator = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= FhirApiOptions.Default;
        _ctx = new InteractionContext(store, searchParser ?? SpecSearchQueryParser.For(options), validator ?? FhirValidator.R4, options);
        _authorizer = new Authorizer(options.Authorization, _ctx.Spec, _ctx.SearchParser);
        _capabilities = new Lazy<byte[]>(() => Interactions.CapabilitiesInteraction.Build(_ctx), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public FhirApiOptions Options => _ctx.Options;

    /// <summary>Traces every interaction (the host and pipelines add their own parent spans).</summary>
    public static readonly ActivitySource ActivitySource = new("Meridian.Api");

    /// <summary>Request counts and durations by method and status (meter <c>Meridian.Api</c>).</summary>
    private static readonly Meter s_meter = new("Meridian.Api");
    private static readonly Counter<long> s_requests = s_meter.CreateCounter<long>("meridian.fhir.requests", description: "FHIR interactions handled");
    private static readonly Histogram<double> s_duration = s_meter.CreateHistogram<double>("meridian.fhir.duration", unit: "ms", description: "Time to handle a FHIR interaction");

    public async Task<FhirResponse> HandleAsync(FhirRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        using var activity = ActivitySource.StartActivity("fhir " + request.Method);
        activity?.SetTag("fhir.tenant", request.Tenant);
        activity?.SetTag("fhir.path", request.Path);
        // Authorization sits here, under every transport: the policy travels with the request's
        // context into the router, each batch/transaction entry and the store (docs/authorization.md).
        var access = AccessPolicy.Create(request.Caller, _authorizer, new AccessTracker());
        var response = ContentNegotiation.Check(request)
            ?? Admission.Check(request, access)
            ?? await Router.DispatchAsync(request, _ctx.ForAccess(access), _capabilities, cancellationToken).ConfigureAwait(false);
        response = response with { Authorization = Admission.Decide(request, response, access) };
        activity?.SetTag("http.response.status_code", response.Status);
        var tags = new TagList { { "method", request.Method }, { "status", response.Status } };
        s_requests.Add(1, tags);
        s_duration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tags);
        return response;
    }
}
