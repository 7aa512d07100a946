using RabbitMQ.Client;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// The transport's one connection, reopened on demand after it is lost. The client library's
/// automatic recovery is off on purpose: the publisher and each subscription run their own
/// retry loops, open fresh channels and re-declare their topology, which keeps delivery tags,
/// confirms and consumer state simple to reason about (nothing survives a lost channel).
/// </summary>
internal sealed class RabbitMqConnectionSource(RabbitMqTransportOptions options, Action onOpened) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private bool _disposed;

    public bool IsOpen => _connection?.IsOpen == true;

    /// <summary>The open connection, or a new one when the last was lost.</summary>
    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open) return open;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsOpen: true } current) return current;
            if (_connection is not null)
            {
                await DisposeQuietlyAsync(_connection);
                _connection = null;
            }
            var factory = new ConnectionFactory
            {
                Uri = options.Uri,
                AutomaticRecoveryEnabled = false,
                TopologyRecoveryEnabled = false,
                ClientProvidedName = options.ClientName,
                RequestedHeartbeat = TimeSpan.FromSeconds(15),
                RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken);
            onOpened();
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _disposed = true;
            if (_connection is not null) await DisposeQuietlyAsync(_connection);
            _connection = null;
        }
        finally
        {
            _gate.Release();
        }
        _gate.Dispose();
    }

    private static async Task DisposeQuietlyAsync(IConnection connection)
    {
        try
        {
            if (connection.IsOpen) await connection.CloseAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // Closing a connection that is already broken fails; it is gone either way.
        }
        await connection.DisposeAsync();
    }
}
