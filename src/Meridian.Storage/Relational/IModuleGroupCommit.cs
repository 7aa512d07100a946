using System.Data.Common;

namespace Meridian.Storage.Relational;

/// <summary>
/// Lets a module's write on its own tables ride the store's next group commit
/// (docs/adr/0010-group-commit.md) instead of committing on its own. Offered where that saves
/// something: on SQLite every module transaction is an fsync of its own on the single writer
/// that FHIR writes queue behind. <paramref name="work"/> runs on the batch's connection and
/// transaction and must not fail but by the batch failing (guard it with a savepoint); its
/// value is returned once the batch is durable. Find it with <c>store.Find&lt;IModuleGroupCommit&gt;()</c>.
/// </summary>
public interface IModuleGroupCommit
{
    Task<long?> InGroupCommitAsync(Func<DbConnection, DbTransaction, CancellationToken, Task<long?>> work, CancellationToken cancellationToken);
}
