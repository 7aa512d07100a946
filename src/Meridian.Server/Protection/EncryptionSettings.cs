namespace Meridian.Server.Protection;

/// <summary>
/// Encryption at rest (section <c>Meridian:Encryption</c>; docs/encryption.md). The master key
/// comes from <see cref="MasterKeyFile"/> (<c>--master-key-file</c>) or the environment
/// variable <c>MERIDIAN_MASTER_KEY</c> (base64), never from the repository.
/// </summary>
public sealed class EncryptionSettings
{
    /// <summary>
    /// <c>auto</c> (default): encrypt with the configured master key; without one, the embedded
    /// SQLite store generates <c>master.key</c> (0600) in its data directory, and PostgreSQL is
    /// refused unless <c>--insecure-dev</c> (then plaintext, with a warning). <c>on</c>: a
    /// configured master key is required. <c>off</c>: plaintext, only with <c>--insecure-dev</c>.
    /// </summary>
    public string Mode { get; set; } = "auto";

    /// <summary>File holding the base64 master key.</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>How often (seconds) a server re-reads a tenant's newest data key, i.e. how soon
    /// writes move to a key added by <c>meridian keys rotate --tenant</c>.</summary>
    public int KeyRefreshSeconds { get; set; } = 10;

    internal IEnumerable<string> Problems(MeridianServerOptions options)
    {
        if (Mode is not ("auto" or "on" or "off"))
        {
            yield return $"Encryption:Mode '{Mode}' is not known; use auto, on or off.";
        }
        if (Mode == "off" && !options.InsecureDev)
        {
            yield return "Encryption:Mode off (plaintext at rest) is allowed only with --insecure-dev.";
        }
        if (MasterKeyFile is { Length: > 0 } file && !File.Exists(file))
        {
            yield return $"Encryption:MasterKeyFile '{file}' does not exist.";
        }
        if (KeyRefreshSeconds < 0)
        {
            yield return "Encryption:KeyRefreshSeconds must be 0 or more.";
        }
    }
}
