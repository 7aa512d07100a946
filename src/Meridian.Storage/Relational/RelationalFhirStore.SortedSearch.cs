using System.Buffers;
using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Search;

namespace Meridian.Storage.Relational;

public abstract partial class RelationalFhirStore
{
    /// <summary>
    /// A page of a sorted search, continued by a keyset cursor ("s" + base64url JSON of the last
    /// row's sort values, each tagged with its CLR type so it binds back exactly as read, and its
    /// surrogate key). Offsets would repeat or skip rows when others insert or delete meanwhile.
    /// </summary>
    private async Task<(ImmutableArray<StoredResource> Rows, List<long> Keys, string? Next)> SortedPageAsync(DbConnection connection, string tenant, SearchQuery query, int count, DateTimeOffset now, SearchPlan plan, CancellationToken ct)
    {
        var after = query.Cursor is null ? null : DecodeSortCursor(query.Cursor, query.Sort.Length);
        await using var cmd = CreateCommand(connection, null, _search.SortedPage(tenant, query, count, now, after, plan));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = ImmutableArray.CreateBuilder<StoredResource>();
        var keys = new List<long>();
        object?[]? lastValues = null;
        string? next = null;
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (rows.Count == count)
            {
                next = EncodeSortCursor(new SortCursor(lastValues!, keys[^1]));
                break;
            }
            rows.Add(new StoredResource(
                tenant, reader.GetString(0), reader.GetString(1), reader.GetInt64(2),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero),
                reader.GetBoolean(4),
                reader.GetFieldValue<byte[]>(5)));
            keys.Add(reader.GetInt64(6));
            lastValues = new object?[query.Sort.Length];
            for (var i = 0; i < lastValues.Length; i++)
            {
                lastValues[i] = reader.IsDBNull(7 + i) ? null : reader.GetValue(7 + i);
            }
        }
        // Sealed JSON (encryption at rest) is opened once the reader is closed, on the same connection.
        await reader.DisposeAsync().ConfigureAwait(false);
        return (await UnprotectJsonAsync(connection, null, tenant, rows.DrainToImmutable(), ct).ConfigureAwait(false), keys, next);
    }

    internal static string EncodeSortCursor(SortCursor cursor)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var v in cursor.Values)
            {
                switch (v)
                {
                    case null: w.WriteNullValue(); break;
                    case string s: w.WriteStringValue("s" + s); break;
                    case long l: w.WriteStringValue("l" + l.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                    case int n: w.WriteStringValue("l" + n.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                    case decimal d: w.WriteStringValue("m" + d.ToString(System.Globalization.CultureInfo.InvariantCulture)); break;
                    case double f: w.WriteStringValue("f" + f.ToString("R", System.Globalization.CultureInfo.InvariantCulture)); break;
                    default: throw new NotSupportedException($"sort value of type {v.GetType().Name}");
                }
            }
            w.WriteNumberValue(cursor.Key);
            w.WriteEndArray();
        }
        return "s" + Convert.ToBase64String(buffer.WrittenSpan).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    internal static SortCursor DecodeSortCursor(string cursor, int sortKeys)
    {
        try
        {
            if (cursor.Length < 2 || cursor[0] != 's')
            {
                throw new FormatException("not a sorted-search cursor");
            }
            var b64 = cursor[1..].Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            using var doc = JsonDocument.Parse(Convert.FromBase64String(b64));
            var items = doc.RootElement.EnumerateArray().ToList();
            if (items.Count != sortKeys + 1)
            {
                throw new FormatException("the cursor belongs to another sort");
            }
            var values = new object?[sortKeys];
            for (var i = 0; i < sortKeys; i++)
            {
                var text = items[i].ValueKind == JsonValueKind.Null ? null : items[i].GetString()!;
                values[i] = text is null ? null : text[0] switch
                {
                    's' => text[1..],
                    'l' => long.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture),
                    'm' => decimal.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture),
                    'f' => double.Parse(text[1..], System.Globalization.CultureInfo.InvariantCulture),
                    _ => throw new FormatException("unknown value tag"),
                };
            }
            return new SortCursor(values, items[sortKeys].GetInt64());
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or OverflowException)
        {
            throw new ArgumentException($"'{cursor}' is not a search cursor of this store", nameof(cursor), ex);
        }
    }
}
