using System.Collections.Immutable;
using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;

namespace Meridian.Storage.Relational;

/// <summary>A table the write path inserts into: its name and columns in insert order.</summary>
public sealed record TableDefinition(string Name, ImmutableArray<string> Columns);

/// <summary>
/// The index tables, one per kind of search value, and how a <see cref="SearchValue"/> becomes a
/// row. Every row starts with (tenant, resource_key, type, param): the tenant for isolation
/// (and PostgreSQL row-level security later), the surrogate key to join the resource, the type
/// and parameter code to reach the right rows through one index.
/// </summary>
public static class IndexTables
{
    private static readonly string[] s_prefix = ["tenant", "resource_key", "type", "param"];
    private static readonly string[] s_component = ["system", "code", "low", "high", "date_low", "date_high"];

    public static TableDefinition Token { get; } = Define("token_index", "system", "code", "text_norm", "type_system", "type_code");
    public static TableDefinition String { get; } = Define("string_index", "value", "norm");
    public static TableDefinition Reference { get; } = Define("reference_index", "kind", "ref_type", "ref_id", "ref_version", "url", "base_url", "reference");
    public static TableDefinition Date { get; } = Define("date_index", "low", "high");
    public static TableDefinition Number { get; } = Define("number_index", "value", "low", "high");
    public static TableDefinition Quantity { get; } = Define("quantity_index", "system", "code", "unit", "comparator", "value", "low", "high", "canonical_unit", "canonical_low", "canonical_high");
    public static TableDefinition Uri { get; } = Define("uri_index", "uri", "version");
    public static TableDefinition Composite { get; } = Define("composite_index", [.. s_component.Select(c => "c1_" + c), .. s_component.Select(c => "c2_" + c)]);
    public static TableDefinition Position { get; } = Define("position_index", "latitude", "longitude");

    /// <summary>One row per (resource, date parameter), derived from its date rows (<see cref="DateEnvelopes"/>).</summary>
    public static TableDefinition Envelope { get; } = Define("date_envelope", "low", "high", "span_class");

    public static ImmutableArray<TableDefinition> All { get; } = [Token, String, Reference, Date, Number, Quantity, Uri, Composite, Position, Envelope];

    public static IndexColumns TokenColumns { get; } = new("token_index") { System = "system", Code = "code", TextNorm = "text_norm", TypeSystem = "type_system", TypeCode = "type_code" };
    public static IndexColumns StringColumns { get; } = new("string_index") { Value = "value", Norm = "norm" };
    public static IndexColumns ReferenceColumns { get; } = new("reference_index") { RefType = "ref_type", RefId = "ref_id", RefVersion = "ref_version", Url = "url" };
    public static IndexColumns DateColumns { get; } = new("date_index") { DateLow = "low", DateHigh = "high" };
    public static IndexColumns NumberColumns { get; } = new("number_index") { NumValue = "value", NumLow = "low", NumHigh = "high" };
    public static IndexColumns QuantityColumns { get; } = new("quantity_index") { System = "system", Code = "code", Unit = "unit", NumValue = "value", NumLow = "low", NumHigh = "high", CanonicalUnit = "canonical_unit", CanonicalLow = "canonical_low", CanonicalHigh = "canonical_high" };
    public static IndexColumns UriColumns { get; } = new("uri_index") { Uri = "uri", Url = "uri" };
    public static IndexColumns PositionColumns { get; } = new("position_index") { Latitude = "latitude", Longitude = "longitude" };

    /// <summary>Composite component <paramref name="ordinal"/> (0 or 1): generic columns every generator can read.</summary>
    public static IndexColumns CompositeComponent(int ordinal)
    {
        var p = ordinal == 0 ? "c1_" : "c2_";
        return new IndexColumns("composite_index")
        {
            System = p + "system", Code = p + "code", Norm = p + "code", Value = p + "code", Uri = p + "code", Url = p + "code",
            RefType = p + "system", RefId = p + "code",
            NumValue = p + "low", NumLow = p + "low", NumHigh = p + "high",
            CanonicalUnit = p + "code", CanonicalLow = p + "low", CanonicalHigh = p + "high",
            DateLow = p + "date_low", DateHigh = p + "date_high",
        };
    }

    /// <summary>The table for a parameter type (composite and special included).</summary>
    public static TableDefinition? ForType(SearchParamType type) => type switch
    {
        SearchParamType.Token => Token,
        SearchParamType.String => String,
        SearchParamType.Reference => Reference,
        SearchParamType.Date => Date,
        SearchParamType.Number => Number,
        SearchParamType.Quantity => Quantity,
        SearchParamType.Uri => Uri,
        SearchParamType.Composite => Composite,
        SearchParamType.Special => Position,
        _ => null,
    };

    /// <summary>Index of <paramref name="table"/> in <see cref="All"/> (for per-table row lists).</summary>
    public static int Ordinal(TableDefinition table) => All.IndexOf(table);

    /// <summary>
    /// Every index row of one resource version: one per extracted value that has a table, then
    /// its date envelopes (<see cref="DateEnvelopes"/>). The one place index rows are built, so
    /// the write path and the deferred indexer always write the same rows.
    /// </summary>
    public static List<(int Table, object?[] Row)> RowsOf(string tenant, long key, string type, ImmutableArray<SearchIndexEntry> entries, SqlDialect d)
    {
        var rows = new List<(int Table, object?[] Row)>(entries.IsDefault ? 0 : entries.Length);
        if (entries.IsDefaultOrEmpty)
        {
            return rows;
        }
        foreach (var entry in entries)
        {
            if (ToRow(tenant, key, type, entry, d) is { } r)
            {
                rows.Add(r);
            }
        }
        DateEnvelopes.Append(rows);
        return rows;
    }

    /// <summary>The row for one value, or null when the value kind has no table.</summary>
    public static (int Table, object?[] Row)? ToRow(string tenant, long key, string type, SearchIndexEntry entry, SqlDialect d)
    {
        var code = entry.Parameter.Code;
        switch (entry.Value)
        {
            case TokenValue t:
                return (0, [tenant, key, type, code, t.System, t.Code, t.TextNormalized, t.TypeSystem, t.TypeCode]);
            case StringValue s:
                return (1, [tenant, key, type, code, s.Value, s.Normalized]);
            case ReferenceValue r:
                // base_url and the literal reference text are not searched: not stored (issue 4,
                // "index tables hold only what search needs"; docs/encryption.md).
                return (2, [tenant, key, type, code, (int)r.Kind, r.ResourceType, r.Id, r.Version, r.Url, null, null]);
            case DateRangeValue dt:
                return (3, [tenant, key, type, code, dt.Low.UtcTicks, dt.High.UtcTicks]);
            case NumberValue n:
                return (4, [tenant, key, type, code, d.Decimal(n.Value), d.Decimal(n.Low), d.Decimal(n.High)]);
            case QuantityValue q:
                // The comparator is already in low/high (an open bound) and is never searched: not stored.
                return (5, [tenant, key, type, code, q.System, q.Code, q.Unit, null, Dec(d, q.Value), Dec(d, q.Low ?? q.Value), Dec(d, q.High ?? q.Value),
                    q.CanonicalUnit, Dec(d, q.CanonicalLow ?? q.CanonicalValue), Dec(d, q.CanonicalHigh ?? q.CanonicalValue)]);
            case UriValue u:
                return (6, [tenant, key, type, code, u.Uri, u.Version]);
            case CompositeValue c when c.Components.Length >= 2:
                var row = new object?[4 + 2 * s_component.Length];
                row[0] = tenant; row[1] = key; row[2] = type; row[3] = code;
                Component(c.Components[0], row, 4, d);
                Component(c.Components[1], row, 4 + s_component.Length, d);
                return (7, row);
            case PositionValue p:
                return (8, [tenant, key, type, code, d.Decimal(p.Latitude), d.Decimal(p.Longitude)]);
            default:
                return null;
        }
    }

    private static object? Dec(SqlDialect d, decimal? v) => v is { } x ? d.Decimal(x) : null;

    /// <summary>Flattens one composite component into (system, code, low, high, date_low, date_high).
    /// Quantities use their UCUM-canonical form when they have one, like the query side.</summary>
    private static void Component(SearchValue v, object?[] row, int at, SqlDialect d)
    {
        switch (v)
        {
            case TokenValue t:
                row[at] = t.System; row[at + 1] = t.Code;
                break;
            case StringValue s:
                row[at + 1] = s.Normalized;
                break;
            case UriValue u:
                row[at + 1] = u.Uri;
                break;
            case ReferenceValue r:
                row[at] = r.ResourceType; row[at + 1] = r.Id ?? r.Url ?? r.Reference;
                break;
            case QuantityValue q when q.CanonicalUnit is not null:
                row[at] = "http://unitsofmeasure.org"; row[at + 1] = q.CanonicalUnit;
                row[at + 2] = Dec(d, q.CanonicalLow ?? q.CanonicalValue); row[at + 3] = Dec(d, q.CanonicalHigh ?? q.CanonicalValue);
                break;
            case QuantityValue q:
                row[at] = q.System; row[at + 1] = q.Code ?? q.Unit;
                row[at + 2] = Dec(d, q.Low ?? q.Value); row[at + 3] = Dec(d, q.High ?? q.Value);
                break;
            case NumberValue n:
                row[at + 2] = d.Decimal(n.Value); row[at + 3] = d.Decimal(n.Value);
                break;
            case DateRangeValue dt:
                row[at + 4] = dt.Low.UtcTicks; row[at + 5] = dt.High.UtcTicks;
                break;
        }
    }

    private static TableDefinition Define(string name, params string[] columns) => new(name, [.. s_prefix, .. columns]);
}
