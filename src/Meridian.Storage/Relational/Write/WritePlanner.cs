using System.Collections.Immutable;
using Meridian.Storage.Internal;

namespace Meridian.Storage.Relational.Write;

/// <summary>
/// Decides, for each operation in order, the new version, its key and outcome, or the
/// expected failure. Pure in-memory logic over the heads read at the start of the
/// transaction; the same resource may appear several times in one batch.
/// </summary>
internal sealed class WritePlanner(string tenant, DateTimeOffset now, IReadOnlyDictionary<(string, string), Head> heads, Func<long> nextKey)
{
    private readonly Dictionary<(string, string), VersionRow> _written = [];

    public WritePlan Plan { get; } = new();

    /// <summary>Plans one operation; returns a failure value or null.</summary>
    public StoreFailure? Add(int index, WriteOperation op)
    {
        var problem = Validate(op);
        if (problem is not null)
        {
            return new StoreFailure(index, StoreFailureKind.Invalid, problem);
        }
        switch (op)
        {
            case CreateOperation { Id: null } c:
                Write(index, c.Type, Guid.CreateVersion7().ToString("D"), c.Content, deleted: false, WriteOutcome.Created);
                return null;
            case CreateOperation c:
            {
                var (version, deleted) = Current(c.Type, c.Id);
                if (version > 0 && !deleted)
                {
                    return new StoreFailure(index, StoreFailureKind.AlreadyExists, $"{c.Type}/{c.Id} already exists");
                }
                Write(index, c.Type, c.Id, c.Content, deleted: false, WriteOutcome.Created);
                return null;
            }
            case UpdateOperation u:
            {
                var (version, deleted) = Current(u.Type, u.Id);
                if (u.IfMatch is { } expected && expected != version)
                {
                    return new StoreFailure(index, StoreFailureKind.PreconditionFailed, $"{u.Type}/{u.Id} is at version {version}, not {expected}");
                }
                if (version == 0 && !u.AllowCreate)
                {
                    return new StoreFailure(index, StoreFailureKind.NotFound, $"{u.Type}/{u.Id} does not exist");
                }
                var hash = ContentHash(u.Content.Json);
                if (!_written.ContainsKey((u.Type, u.Id)) && heads.TryGetValue((u.Type, u.Id), out var head)
                    && !head.Deleted && head.Hash is not null && head.Hash.AsSpan().SequenceEqual(hash))
                {
                    // Same bytes as the current version: re-delivery (pipelines, retries) makes no new version.
                    Plan.Unchanged.Add((Plan.Results.Count, head.Key));
                    Plan.Results.Add(new WriteResult(index, WriteOutcome.NoChange, u.Type, u.Id, null));
                    return null;
                }
                Write(index, u.Type, u.Id, u.Content, deleted: false, version == 0 || deleted ? WriteOutcome.Created : WriteOutcome.Updated, hash);
                return null;
            }
            case DeleteOperation d:
            {
                var (version, deleted) = Current(d.Type, d.Id);
                if (d.IfMatch is { } expected && expected != version)
                {
                    var kind = version == 0 ? StoreFailureKind.NotFound : StoreFailureKind.PreconditionFailed;
                    return new StoreFailure(index, kind, $"{d.Type}/{d.Id} is at version {version}, not {expected}");
                }
                if (version == 0 || deleted)
                {
                    Plan.Results.Add(new WriteResult(index, WriteOutcome.NoChange, d.Type, d.Id, null));
                    return null;
                }
                Write(index, d.Type, d.Id, null, deleted: true, WriteOutcome.Deleted);
                return null;
            }
            default:
                return new StoreFailure(index, StoreFailureKind.Invalid, $"unknown operation {op.GetType().Name}");
        }
    }

    /// <summary>(version, deleted) of the latest version: written earlier in this batch, else in the database; (0, false) if none.</summary>
    private (long Version, bool Deleted) Current(string type, string id)
    {
        if (_written.TryGetValue((type, id), out var row))
        {
            return (row.Version, row.Deleted);
        }
        return heads.TryGetValue((type, id), out var head) ? (head.Version, head.Deleted) : (0, false);
    }

    private void Write(int index, string type, string id, ResourceContent? content, bool deleted, WriteOutcome outcome, byte[]? hash = null)
    {
        long key;
        long version;
        if (_written.TryGetValue((type, id), out var previous))
        {
            previous.IsCurrent = false;
            key = previous.Key;
            version = previous.Version + 1;
        }
        else if (heads.TryGetValue((type, id), out var head))
        {
            Plan.Superseded.Add(head.Key);
            key = head.Key;
            version = head.Version + 1;
        }
        else
        {
            key = nextKey();
            version = 1;
        }
        var json = content is null ? [] : JsonStamper.Stamp(content.Json, id, version, now);
        var kind = deleted ? ChangeKind.Delete : version == 1 ? ChangeKind.Create : ChangeKind.Update;
        var row = new VersionRow(type, id, key, version, deleted, json, content?.Index ?? [], kind, content is null ? null : hash ?? ContentHash(content.Json));
        _written[(type, id)] = row;
        Plan.Rows.Add(row);
        Plan.Results.Add(new WriteResult(index, outcome, type, id, new StoredResource(tenant, type, id, version, now, deleted, json)));
    }

    private static byte[] ContentHash(ReadOnlyMemory<byte> json) => System.Security.Cryptography.SHA256.HashData(json.Span);

    /// <summary>FHIR id rule: 1-64 of [A-Za-z0-9-.]; type: a capitalised ASCII name.</summary>
    private static string? Validate(WriteOperation op)
    {
        if (string.IsNullOrEmpty(op.Type) || op.Type.Length > 64 || !char.IsAsciiLetterUpper(op.Type[0]) || !op.Type.All(char.IsAsciiLetter))
        {
            return $"'{op.Type}' is not a resource type name";
        }
        var id = op switch
        {
            CreateOperation c => c.Id,
            UpdateOperation u => u.Id,
            DeleteOperation d => d.Id,
            _ => null,
        };
        if (id is not null && (id.Length is 0 or > 64 || !id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '.')))
        {
            return $"'{id}' is not a valid FHIR id";
        }
        if (op is CreateOperation { Content: null } or UpdateOperation { Content: null })
        {
            return "a create or update needs content";
        }
        return null;
    }

    /// <summary>Operations that may need a new key (upper bound; unused keys are harmless).</summary>
    public static int KeysNeeded(IReadOnlyList<WriteOperation> ops, IReadOnlyDictionary<(string, string), Head> heads)
    {
        var n = 0;
        foreach (var op in ops)
        {
            n += op switch
            {
                CreateOperation { Id: null } => 1,
                CreateOperation c when !heads.ContainsKey((c.Type, c.Id!)) => 1,
                UpdateOperation u when !heads.ContainsKey((u.Type, u.Id)) => 1,
                _ => 0,
            };
        }
        return n;
    }

    /// <summary>The distinct (type, id) pairs whose database heads the plan needs.</summary>
    public static ImmutableArray<(string Type, string Id)> Lookups(IEnumerable<WriteOperation> ops)
    {
        var set = new HashSet<(string, string)>();
        foreach (var op in ops)
        {
            switch (op)
            {
                // A fresh id cannot have a head: nothing to read or lock.
                case CreateOperation { Id: { } id, FreshId: false } c: set.Add((c.Type, id)); break;
                case UpdateOperation u: set.Add((u.Type, u.Id)); break;
                case DeleteOperation d: set.Add((d.Type, d.Id)); break;
            }
        }
        return [.. set];
    }
}
