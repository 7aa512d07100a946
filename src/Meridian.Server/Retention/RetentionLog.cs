using Microsoft.Extensions.Logging;

namespace Meridian.Server.Retention;

/// <summary>Source-generated log messages of the retention runs (event ids 300-399).</summary>
internal static partial class RetentionLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Retention purged {Resources} {Type} resources ({Versions} versions) of tenant {Tenant} last updated before {Cutoff:O}")]
    public static partial void BatchPurged(ILogger logger, string tenant, string type, int resources, int versions, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Retention run finished: {Resources} resources in {Batches} batches (complete: {Complete})")]
    public static partial void RunCompleted(ILogger logger, int resources, int batches, bool complete);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Retention run failed; the next run retries")]
    public static partial void RunFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "Retention could not purge {Type} of tenant {Tenant}: {Reason}")]
    public static partial void BatchFailed(ILogger logger, string tenant, string type, string reason);
}
