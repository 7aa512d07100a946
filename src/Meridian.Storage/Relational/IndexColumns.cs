namespace Meridian.Storage.Relational;

/// <summary>
/// Which column plays which role for the predicate generators. Each index table has one map;
/// each component of the composite table has its own, so the token, quantity, date...
/// generators serve composite components unchanged. A null role is absent from that table.
/// </summary>
public sealed record IndexColumns(string Table)
{
    public string? System { get; init; }
    public string? Code { get; init; }
    public string? TextNorm { get; init; }
    public string? TypeSystem { get; init; }
    public string? TypeCode { get; init; }
    public string? Value { get; init; }
    public string? Norm { get; init; }
    public string? RefType { get; init; }
    public string? RefId { get; init; }
    public string? RefVersion { get; init; }
    public string? Url { get; init; }
    public string? NumValue { get; init; }
    public string? NumLow { get; init; }
    public string? NumHigh { get; init; }
    public string? Unit { get; init; }
    public string? CanonicalUnit { get; init; }
    public string? CanonicalLow { get; init; }
    public string? CanonicalHigh { get; init; }
    public string? DateLow { get; init; }
    public string? DateHigh { get; init; }
    public string? Uri { get; init; }
    public string? Latitude { get; init; }
    public string? Longitude { get; init; }
}
