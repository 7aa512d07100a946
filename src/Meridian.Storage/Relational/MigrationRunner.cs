using System.Data.Common;
using System.Reflection;

namespace Meridian.Storage.Relational;

/// <summary>One numbered migration script (<c>0001_initial.sql</c>).</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies numbered SQL scripts embedded in a provider assembly, each in its own transaction
/// together with its <c>schema_version</c> row, so a crash mid-way leaves a clean state and a
/// second run applies nothing.
/// </summary>
public static class MigrationRunner
{
    public const string CreateVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)";

    /// <summary>Embedded resources named <c>{prefix}NNNN_name.sql</c>, ordered by number.</summary>
    public static IReadOnlyList<Migration> Load(Assembly assembly, string resourcePrefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var list = new List<Migration>();
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(resourcePrefix, StringComparison.Ordinal) || !name.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }
            var file = name[resourcePrefix.Length..^4];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file[..underscore], System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(version, file[(underscore + 1)..], reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        return list;
    }

    /// <summary>Reads the applied version inside <paramref name="tx"/> (the caller holds the migration lock).</summary>
    public static async Task<int> CurrentVersionAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var create = connection.CreateCommand();
        create.Transaction = tx;
        create.CommandText = CreateVersionTable;
        await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version";
        var v = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        return Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ApplyAsync(DbConnection connection, DbTransaction tx, Migration migration, long nowTicks, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(migration);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = migration.Sql;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @n, @t)";
            AddParameter(cmd, "@v", migration.Version);
            AddParameter(cmd, "@n", migration.Name);
            AddParameter(cmd, "@t", nowTicks);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    internal static void AddParameter(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }
}
