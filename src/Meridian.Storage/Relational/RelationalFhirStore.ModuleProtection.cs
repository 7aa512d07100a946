using System.Data.Common;
using Meridian.Storage.Protection;

namespace Meridian.Storage.Relational;

/// <summary>
/// The store's payload protection offered to modules (<see cref="IModuleProtection"/>): the same
/// protector and the same <c>data_keys</c> rows as resource JSON, so a module's PHI columns are
/// sealed per tenant without a second key hierarchy or a second crypto implementation.
/// </summary>
public abstract partial class RelationalFhirStore : IModuleProtection
{
    public IModuleSealer SealerFor(DbConnection connection, DbTransaction? transaction)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (Options.Protector is not { } protector)
        {
            return PlainSealer.Instance;
        }
        IDataKeyTable keys = transaction is null ? new ConnectionKeyTable(this, connection) : KeysOf(connection, transaction);
        return new ProtectorSealer(protector, keys);
    }

    private sealed class ProtectorSealer(IPayloadProtector protector, IDataKeyTable keys) : IModuleSealer
    {
        public bool Encrypts => true;

        public ValueTask<byte[]> SealAsync(PayloadAddress address, byte[] plaintext, CancellationToken cancellationToken) =>
            protector.ProtectAsync(address, plaintext, keys, cancellationToken);

        public ValueTask<byte[]> OpenAsync(PayloadAddress address, ReadOnlyMemory<byte> stored, CancellationToken cancellationToken) =>
            protector.UnprotectAsync(address, stored, keys, cancellationToken);
    }

    private sealed class PlainSealer : IModuleSealer
    {
        public static PlainSealer Instance { get; } = new();

        public bool Encrypts => false;

        public ValueTask<byte[]> SealAsync(PayloadAddress address, byte[] plaintext, CancellationToken cancellationToken) => ValueTask.FromResult(plaintext);

        public ValueTask<byte[]> OpenAsync(PayloadAddress address, ReadOnlyMemory<byte> stored, CancellationToken cancellationToken) => ValueTask.FromResult(stored.ToArray());
    }
}
