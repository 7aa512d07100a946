namespace Meridian.Api;

/// <summary>
/// A stage around <see cref="FhirApi.HandleAsync"/> that every transport runs (the HTTP host
/// resolves the registered ones; pipelines call them the same way): audit wraps each
/// interaction here so it sees the request, the caller and the final response, whatever
/// entered it. Interceptors run in registration order, the first outermost.
/// </summary>
public interface IFhirInterceptor
{
    Task<FhirResponse> HandleAsync(FhirRequest request, Func<FhirRequest, CancellationToken, Task<FhirResponse>> next, CancellationToken cancellationToken);
}

/// <summary>Runs a request through interceptors (first outermost) to a terminal handler.</summary>
public static class FhirInterceptors
{
    public static Task<FhirResponse> RunAsync(IReadOnlyList<IFhirInterceptor> interceptors, FhirRequest request, Func<FhirRequest, CancellationToken, Task<FhirResponse>> terminal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(interceptors);
        ArgumentNullException.ThrowIfNull(terminal);
        var next = terminal;
        for (var i = interceptors.Count - 1; i >= 0; i--)
        {
            var interceptor = interceptors[i];
            var inner = next;
            next = (r, ct) => interceptor.HandleAsync(r, inner, ct);
        }
        return next(request, cancellationToken);
    }
}
