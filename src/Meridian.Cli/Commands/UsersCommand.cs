using System.CommandLine;
using Meridian.Identity;
using Meridian.Identity.Accounts;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian users add|list</c>: people who sign in on the built-in login page. Passwords are
/// generated (printed once) or read from a file, never taken on the command line (where other
/// users of the machine could see them); stored as PBKDF2-SHA512 hashes.
/// </summary>
internal static class UsersCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("users", "Manage users of the built-in login page.");
        command.Subcommands.Add(Add(output, error));
        command.Subcommands.Add(List(output, error));
        return command;
    }

    private static Command Add(TextWriter output, TextWriter error)
    {
        var store = new IdentityStoreOptions();
        var username = new Argument<string>("username") { Description = "Login name" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the password from the first line of this file (default: generate one and print it)" };
        var fhirUser = new Option<string?>("--fhir-user") { Description = "SMART fhirUser, e.g. Practitioner/123 or Patient/456" };
        var roles = new Option<string[]>("--role") { Description = "A role (repeatable): clinician, nurse, front-desk, admin, auditor…", AllowMultipleArgumentsPerToken = false };
        var command = new Command("add", "Create a user.") { username, passwordFile, fhirUser, roles };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (store.Problem(parse) is { } problem)
            {
                await error.WriteLineAsync("meridian users add: " + problem).ConfigureAwait(false);
                return 2;
            }
            var name = parse.GetValue(username)!;
            if (name.Length is 0 or > 256 || name.Any(char.IsControl))
            {
                await error.WriteLineAsync("meridian users add: the username must be 1-256 printable characters").ConfigureAwait(false);
                return 2;
            }
            string password;
            var generated = false;
            if (parse.GetValue(passwordFile) is { } file)
            {
                password = (await File.ReadAllLinesAsync(file, ct).ConfigureAwait(false)).FirstOrDefault() ?? "";
                if (password.Length < 12)
                {
                    await error.WriteLineAsync("meridian users add: the password must have at least 12 characters").ConfigureAwait(false);
                    return 2;
                }
            }
            else
            {
                password = PasswordHasher.NewSecret();
                generated = true;
            }
            var (owner, identity) = await store.OpenAsync(parse, ct).ConfigureAwait(false);
            await using (owner.ConfigureAwait(false))
            {
                var logins = new LoginService(identity, new IdentityOptions(), TimeProvider.System);
                if (!await logins.CreateAsync(store.TenantOf(parse), name, password, parse.GetValue(fhirUser), [.. parse.GetValue(roles) ?? []], ct).ConfigureAwait(false))
                {
                    await error.WriteLineAsync($"meridian users add: user '{name}' already exists").ConfigureAwait(false);
                    return 1;
                }
            }
            await output.WriteLineAsync($"Created user '{name}' in tenant '{store.TenantOf(parse)}'.").ConfigureAwait(false);
            if (generated)
            {
                await output.WriteLineAsync("Password (shown only now): " + password).ConfigureAwait(false);
            }
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var store = new IdentityStoreOptions();
        var command = new Command("list", "List users (never their password hashes).");
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (store.Problem(parse) is { } problem)
            {
                await error.WriteLineAsync("meridian users list: " + problem).ConfigureAwait(false);
                return 2;
            }
            var (owner, identity) = await store.OpenAsync(parse, ct).ConfigureAwait(false);
            await using (owner.ConfigureAwait(false))
            {
                foreach (var u in await identity.ListAsync<UserAccount>(store.TenantOf(parse), IdentityStore.Users, ct).ConfigureAwait(false))
                {
                    var state = u.Disabled ? "disabled" : u.LockedUntil is { } until && until > DateTimeOffset.UtcNow ? "locked" : "active";
                    await output.WriteLineAsync($"{u.Username}\t{u.FhirUser ?? "-"}\t{string.Join(',', u.Roles)}\t{state}").ConfigureAwait(false);
                }
            }
            return 0;
        });
        return command;
    }
}
