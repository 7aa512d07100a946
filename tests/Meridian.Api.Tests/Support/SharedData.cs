namespace Meridian.Api.Tests.Support;

/// <summary>Finds ../shared/data (beside the repository) or MERIDIAN_SHARED_DATA.</summary>
public static class SharedData
{
    private static readonly Lazy<string> s_root = new(Locate);

    public static string PathOf(params string[] parts) => Path.Combine([s_root.Value, .. parts]);

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "fhir-examples")))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("shared/data not found beside the repository; set MERIDIAN_SHARED_DATA");
    }
}
