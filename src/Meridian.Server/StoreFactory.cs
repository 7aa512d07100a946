using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Server;

/// <summary>Opens the store the options name (after they were validated).</summary>
internal static class StoreFactory
{
    public static IFhirStore Create(MeridianServerOptions options, StoreOptions? storeOptions = null) => options.Store switch
    {
        "postgres" => PostgresFhirStore.Create(options.Connection!, storeOptions),
        _ => new SqliteFhirStore(SqlitePath(options.Data), storeOptions),
    };

    private static string SqlitePath(string data)
    {
        Directory.CreateDirectory(data);
        return Path.Combine(Path.GetFullPath(data), "meridian.db");
    }
}
