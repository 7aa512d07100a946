namespace Meridian.Api.Internal;

/// <summary>
/// Serialises conditional writes with the same criteria inside one process, so the search and
/// the write of a conditional create/update act as one step: N clients racing to create the
/// same patient create it once. Striped (a fixed array of semaphores chosen by hash), so memory
/// stays bounded. This only reduces contention: uniqueness across spellings of the criteria and
/// across server processes sharing a database comes from the store-level claim
/// (<see cref="ConditionalKey"/>, table <c>conditional_keys</c>).
/// </summary>
internal sealed class ConditionalLocks
{
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    public async Task<IDisposable> AcquireAsync(string tenant, string type, string criteria, CancellationToken ct)
    {
        var key = HashCode.Combine(tenant, type, criteria);
        var stripe = _stripes[(int)((uint)key % (uint)_stripes.Length)];
        await stripe.WaitAsync(ct).ConfigureAwait(false);
        return new Release(stripe);
    }

    private sealed class Release(SemaphoreSlim stripe) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                stripe.Release();
            }
        }
    }
}
