using System.Collections.Immutable;

namespace Meridian.Identity.Accounts;

/// <summary>
/// Checks a username and password for the login page, with lockout: after
/// <see cref="IdentityOptions.MaxFailedLogins"/> failures the account is locked for
/// <see cref="IdentityOptions.LockoutSeconds"/>, doubling with each further failure (capped at an
/// hour); a locked account is refused without checking the password. Unknown users cost the same
/// hash work as known ones, so timing does not reveal which usernames exist.
/// </summary>
public sealed class LoginService(IdentityStore store, IdentityOptions options, TimeProvider clock)
{
    private static readonly Lazy<string> s_dummyHash = new(() => PasswordHasher.Hash("not a password"));

    public async Task<Result<UserAccount>> LoginAsync(string tenant, string username, string password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var invalid = Result<UserAccount>.Fail("access_denied", "The username or password is wrong, or the account is locked.");
        var stored = username.Length is > 0 and <= 256 ? await store.GetAsync<UserAccount>(tenant, IdentityStore.Users, username, ct).ConfigureAwait(false) : null;
        if (stored is null)
        {
            PasswordHasher.Verify(password, s_dummyHash.Value);
            return invalid;
        }
        var user = stored.Value;
        var now = clock.GetUtcNow();
        if (user.Disabled)
        {
            return invalid;
        }
        if (user.LockedUntil is { } until && until > now)
        {
            return Result<UserAccount>.Fail("access_denied", "The account is locked after repeated failed logins; try again later.");
        }
        if (PasswordHasher.Verify(password, user.PasswordHash))
        {
            if (user.FailedLogins > 0 || user.LockedUntil is not null)
            {
                await store.PutAsync(tenant, IdentityStore.Users, username, user with { FailedLogins = 0, LockedUntil = null }, stored.Version, null, ct).ConfigureAwait(false);
            }
            return Result<UserAccount>.Ok(user);
        }
        var failed = user.FailedLogins + 1;
        DateTimeOffset? lockedUntil = null;
        if (failed >= options.MaxFailedLogins)
        {
            var doublings = Math.Min(failed - options.MaxFailedLogins, 12);
            lockedUntil = now + TimeSpan.FromSeconds(Math.Min(options.LockoutSeconds * (double)(1L << doublings), 3600));
        }
        // A lost race here only loses one failure count; the next failure counts again.
        await store.PutAsync(tenant, IdentityStore.Users, username, user with { FailedLogins = failed, LockedUntil = lockedUntil }, stored.Version, null, ct).ConfigureAwait(false);
        return invalid;
    }

    /// <summary>Creates a user; false when the username is taken.</summary>
    public Task<bool> CreateAsync(string tenant, string username, string password, string? fhirUser, ImmutableArray<string> roles, CancellationToken ct) =>
        store.PutAsync(tenant, IdentityStore.Users, username, new UserAccount
        {
            Username = username,
            UserId = Guid.NewGuid().ToString("N"),
            PasswordHash = PasswordHasher.Hash(password, options.PasswordIterations),
            FhirUser = fhirUser,
            Roles = roles,
            Created = clock.GetUtcNow(),
        }, Storage.Records.SystemRecord.Absent, null, ct);
}
