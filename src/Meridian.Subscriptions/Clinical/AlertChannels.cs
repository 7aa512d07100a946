using System.Globalization;
using System.Text;

namespace Meridian.Subscriptions.Clinical;

/// <summary>A clinical alert as the out-of-band channels (email, SMS) see it.</summary>
public sealed record ClinicalAlert(string Tenant, string CommunicationId, string? Subject, IReadOnlyList<string> Recipients, string Text, DateTimeOffset SourceCommitted);

/// <summary>An email or SMS gateway. Implementations answer false (a value) when the message could
/// not be handed over; the dispatcher then offers it again.</summary>
public interface IAlertChannel
{
    string Name { get; }

    Task<bool> SendAsync(ClinicalAlert alert, CancellationToken cancellationToken);
}

/// <summary>
/// TEST DOUBLE — NOT AN EMAIL OR SMS GATEWAY. Appends each alert as one line to a file so tests
/// and demos can see what would have been sent on channel <see cref="Name"/>. A real deployment
/// plugs an SMTP or SMS provider adapter into <see cref="IAlertChannel"/> instead.
/// </summary>
public sealed class FileAlertChannel(string name, string path) : IAlertChannel, IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public string Name { get; } = name;

    public async Task<bool> SendAsync(ClinicalAlert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[TEST DOUBLE {Name}] tenant={alert.Tenant} communication={alert.CommunicationId} subject={alert.Subject} to={string.Join(",", alert.Recipients)} text={alert.Text}\n");
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await File.AppendAllTextAsync(path, line, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
