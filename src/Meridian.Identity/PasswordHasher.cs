using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Meridian.Identity;

/// <summary>
/// Slow salted password hashes: PBKDF2-HMAC-SHA512, 16-byte random salt, 64-byte output,
/// stored as <c>pbkdf2-sha512$iterations$salt$hash</c> so the work factor can grow without
/// invalidating old hashes. Comparison is constant-time.
/// <para>Client secrets are not passwords: Meridian generates them (256 random bits), so a fast
/// SHA-256 (<see cref="HashSecret"/>) is as safe as a slow hash and keeps the token endpoint cheap.</para>
/// </summary>
public static class PasswordHasher
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512 is 210,000; we take 600,000 (the SHA-256 figure) for margin.</summary>
    public const int MinIterations = 600_000;
    private const string Scheme = "pbkdf2-sha512";

    public static string Hash(string password, int iterations = MinIterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, 64);
        return $"{Scheme}${iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool Verify(string password, string stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(stored);
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }
        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A fresh secret for a client or a one-time password: 32 random bytes, base64url.</summary>
    public static string NewSecret() => Jose.Base64UrlText.Encode(RandomNumberGenerator.GetBytes(32));

    /// <summary>SHA-256 of a high-entropy, server-generated secret (client secrets, refresh tokens, codes).</summary>
    public static string HashSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return "sha256$" + Jose.Base64UrlText.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    public static bool VerifySecret(string secret, string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var actual = Encoding.ASCII.GetBytes(HashSecret(secret));
        return CryptographicOperations.FixedTimeEquals(actual, Encoding.ASCII.GetBytes(stored));
    }
}
