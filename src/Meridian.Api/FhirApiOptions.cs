namespace Meridian.Api;

/// <summary>Settings of the interaction layer (the host binds and validates them at start).</summary>
public sealed record FhirApiOptions
{
    /// <summary>Page size of search and history when the client gives no <c>_count</c>.</summary>
    public int DefaultPageSize { get; init; } = 20;

    /// <summary>Largest page a client may ask for; larger <c>_count</c> values are clamped.</summary>
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>Most entries accepted in one batch or transaction Bundle.</summary>
    public int MaxBundleEntries { get; init; } = 10_000;

    /// <summary>Most resources a conditional delete removes at once (more matches: 412).</summary>
    public int MaxConditionalDeletes { get; init; } = 1;

    /// <summary>Roles, break-the-glass and auditor settings (docs/authorization.md).</summary>
    public Authorization.AuthorizationOptions Authorization { get; init; } = Meridian.Api.Authorization.AuthorizationOptions.Default;

    public static FhirApiOptions Default { get; } = new();

    /// <summary>Every problem with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (DefaultPageSize < 1)
        {
            problems.Add("DefaultPageSize must be at least 1.");
        }
        if (MaxPageSize < DefaultPageSize)
        {
            problems.Add("MaxPageSize must be at least DefaultPageSize.");
        }
        if (MaxBundleEntries < 1)
        {
            problems.Add("MaxBundleEntries must be at least 1.");
        }
        if (MaxConditionalDeletes < 1)
        {
            problems.Add("MaxConditionalDeletes must be at least 1.");
        }
        return problems;
    }
}
