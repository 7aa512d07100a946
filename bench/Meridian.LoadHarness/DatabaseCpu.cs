using System.Globalization;

namespace Meridian.LoadHarness;

/// <summary>
/// CPU time used so far by the PostgreSQL cluster named by <c>MERIDIAN_PG_DIR</c> (the test
/// cluster of scripts/pg-test-cluster.sh): its postmaster and every child (backends, WAL writer,
/// checkpointer), from /proc. A backend that exits during a run takes its time with it, so this
/// is a lower bound; the harness keeps its connections pooled, so few do. Null when unknown.
/// </summary>
internal static class DatabaseCpu
{
    public static TimeSpan? Read()
    {
        var dir = Environment.GetEnvironmentVariable("MERIDIAN_PG_DIR");
        if (string.IsNullOrEmpty(dir) || !OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            var pidFile = Path.Combine(dir, "data", "postmaster.pid");
            if (!File.Exists(pidFile))
            {
                return null;
            }
            var postmaster = int.Parse(File.ReadLines(pidFile).First().Trim(), CultureInfo.InvariantCulture);
            long ticks = 0;
            foreach (var proc in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(proc), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }
                string stat;
                try
                {
                    stat = File.ReadAllText(Path.Combine(proc, "stat"));
                }
                catch (IOException)
                {
                    continue; // exited meanwhile
                }
                // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
                if (pid == postmaster || ppid == postmaster)
                {
                    ticks += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
                }
            }
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
