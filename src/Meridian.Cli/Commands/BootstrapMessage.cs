using Meridian.Identity.Accounts;

namespace Meridian.Cli.Commands;

/// <summary>The one-time notice of the first <c>serve</c>: the bootstrap admin credentials (docs/authentication.md).</summary>
internal static class BootstrapMessage
{
    public static string Format(BootstrapCredentials c, string origin) =>
        $"""
        First start: created the administrator (shown only now; stored as hashes — keep them safe):
          login page user:  {c.Username} / {c.Password}
          client (scripts): {c.ClientId} / {c.ClientSecret}
          token: curl -u '{c.ClientId}:{c.ClientSecret}' -d grant_type=client_credentials -d 'scope=system/*.*' {origin}/auth/token
        See docs/authentication.md; `meridian users add` and `meridian clients add` create more.
        """;
}
