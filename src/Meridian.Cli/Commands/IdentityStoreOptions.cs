using System.CommandLine;
using Meridian.Identity;
using Meridian.Identity.Accounts;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Records;
using Meridian.Storage.Sqlite;

namespace Meridian.Cli.Commands;

/// <summary>The store flags of <c>users</c> and <c>clients</c> (as for <c>import</c>) and opening that store.</summary>
internal sealed class IdentityStoreOptions
{
    public Option<string?> Data { get; } = new("--data") { Description = "Directory of the SQLite store (default ./data)" };
    public Option<string?> Store { get; } = new("--store") { Description = "sqlite (default) or postgres" };
    public Option<string?> Connection { get; } = new("--connection") { Description = "PostgreSQL connection string" };
    public Option<string?> Tenant { get; } = new("--tenant") { Description = "Tenant (default: default)" };

    public void AddTo(Command command)
    {
        command.Options.Add(Data);
        command.Options.Add(Store);
        command.Options.Add(Connection);
        command.Options.Add(Tenant);
    }

    public string TenantOf(ParseResult parse) => parse.GetValue(Tenant) ?? IdentityUrls.DefaultTenant;

    /// <summary>Checks the flags; a problem is returned as text (exit code 2).</summary>
    public string? Problem(ParseResult parse)
    {
        var kind = parse.GetValue(Store) ?? "sqlite";
        if (kind is not ("sqlite" or "postgres"))
        {
            return "--store must be sqlite or postgres";
        }
        if (kind == "postgres" && string.IsNullOrEmpty(parse.GetValue(Connection)))
        {
            return "--store postgres needs --connection";
        }
        return Meridian.Identity.Http.IdentityEndpoints.IsTenantName(TenantOf(parse)) ? null : "--tenant must be letters, digits, '-' or '_' (at most 64)";
    }

    /// <summary>Opens and migrates the store (the same database <c>serve</c> uses).</summary>
    public async Task<(IAsyncDisposable Owner, IdentityStore Store)> OpenAsync(ParseResult parse, CancellationToken ct)
    {
        IFhirStore store = (parse.GetValue(Store) ?? "sqlite") == "postgres"
            ? PostgresFhirStore.Create(parse.GetValue(Connection)!)
            : new SqliteFhirStore(SqlitePath(parse.GetValue(Data) ?? "./data"));
        await store.MigrateAsync(ct).ConfigureAwait(false);
        return ((IAsyncDisposable)store, new IdentityStore((ISystemRecordStore)store));
    }

    private static string SqlitePath(string data)
    {
        Directory.CreateDirectory(data);
        return Path.Combine(Path.GetFullPath(data), "meridian.db");
    }
}
