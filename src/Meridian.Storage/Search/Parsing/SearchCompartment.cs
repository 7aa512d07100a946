namespace Meridian.Storage.Search.Parsing;

/// <summary>
/// A compartment search (<c>GET [base]/Patient/123/Observation?…</c>): only resources that the
/// compartment definition places in <see cref="Type"/>/<see cref="Id"/> match.
/// </summary>
public sealed record SearchCompartment(string Type, string Id);
