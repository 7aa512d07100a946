using System.CommandLine;
using Meridian.Identity.Accounts;

namespace Meridian.Cli.Commands;

/// <summary>
/// <c>meridian clients add|list</c>: OAuth clients of the built-in authorization server. A
/// Backend Services client registers its public keys (<c>--jwks FILE</c>); a script gets a
/// generated secret (<c>--secret</c>, printed once, stored as a hash); a browser or mobile app
/// is public (<c>--public</c>, PKCE) and needs <c>--redirect-uri</c>.
/// </summary>
internal static class ClientsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("clients", "Manage OAuth clients of the built-in authorization server.");
        command.Subcommands.Add(Add(output, error));
        command.Subcommands.Add(List(output, error));
        return command;
    }

    private static Command Add(TextWriter output, TextWriter error)
    {
        var store = new IdentityStoreOptions();
        var clientId = new Argument<string>("client-id") { Description = "The client_id" };
        var jwks = new Option<string?>("--jwks") { Description = "JWK Set file with the client's public keys (private_key_jwt, SMART Backend Services)" };
        var secret = new Option<bool>("--secret") { Description = "Generate a client secret (client_secret_basic/post), printed once" };
        var isPublic = new Option<bool>("--public") { Description = "A public app (authorization code + PKCE, no secret)" };
        var redirects = new Option<string[]>("--redirect-uri") { Description = "Allowed redirect URI, exact match (repeatable)" };
        var scopes = new Option<string[]>("--scope") { Description = "Scope the client may be granted (repeatable; none: any)" };
        var roles = new Option<string[]>("--role") { Description = "Role of a system client (repeatable), e.g. integration" };
        var name = new Option<string?>("--name") { Description = "Display name on the login page" };
        var command = new Command("add", "Register a client.") { clientId, jwks, secret, isPublic, redirects, scopes, roles, name };
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var kinds = (parse.GetValue(jwks) is null ? 0 : 1) + (parse.GetValue(secret) ? 1 : 0) + (parse.GetValue(isPublic) ? 1 : 0);
            var problem = store.Problem(parse) ?? (kinds != 1 ? "give exactly one of --jwks FILE, --secret, --public" : null);
            if (problem is null && parse.GetValue(isPublic) && (parse.GetValue(redirects) ?? []).Length == 0)
            {
                problem = "--public needs at least one --redirect-uri";
            }
            if (problem is not null)
            {
                await error.WriteLineAsync("meridian clients add: " + problem).ConfigureAwait(false);
                return 2;
            }
            var client = new NewClient
            {
                ClientId = parse.GetValue(clientId)!,
                Name = parse.GetValue(name),
                Jwks = parse.GetValue(jwks) is { } file ? await File.ReadAllTextAsync(file, ct).ConfigureAwait(false) : null,
                Public = parse.GetValue(isPublic),
                RedirectUris = [.. parse.GetValue(redirects) ?? []],
                Scopes = [.. parse.GetValue(scopes) ?? []],
                Roles = [.. parse.GetValue(roles) ?? []],
            };
            var (owner, identity) = await store.OpenAsync(parse, ct).ConfigureAwait(false);
            await using (owner.ConfigureAwait(false))
            {
                var result = await ClientAdmin.AddAsync(identity, store.TenantOf(parse), client, TimeProvider.System, ct).ConfigureAwait(false);
                if (!result.IsSuccess)
                {
                    await error.WriteLineAsync("meridian clients add: " + result.Error!.Description).ConfigureAwait(false);
                    return 1;
                }
                await output.WriteLineAsync($"Registered client '{client.ClientId}' in tenant '{store.TenantOf(parse)}'.").ConfigureAwait(false);
                if (result.Value.Length > 0)
                {
                    await output.WriteLineAsync("Client secret (shown only now): " + result.Value).ConfigureAwait(false);
                }
            }
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var store = new IdentityStoreOptions();
        var command = new Command("list", "List clients (never their secrets).");
        store.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (store.Problem(parse) is { } problem)
            {
                await error.WriteLineAsync("meridian clients list: " + problem).ConfigureAwait(false);
                return 2;
            }
            var (owner, identity) = await store.OpenAsync(parse, ct).ConfigureAwait(false);
            await using (owner.ConfigureAwait(false))
            {
                foreach (var c in await identity.ListAsync<ClientRegistration>(store.TenantOf(parse), IdentityStore.Clients, ct).ConfigureAwait(false))
                {
                    await output.WriteLineAsync($"{c.ClientId}\t{c.AuthMethod}\t{string.Join(' ', c.Scopes)}\t{string.Join(',', c.Roles)}\t{string.Join(' ', c.RedirectUris)}").ConfigureAwait(false);
                }
            }
            return 0;
        });
        return command;
    }
}
