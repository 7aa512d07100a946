using Microsoft.Extensions.Logging;

namespace Meridian.Server;

/// <summary>Source-generated log messages of the host.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);
}
