namespace Meridian.Hl7;

/// <summary>The HL7 v2 versions the tables know, and how a sender's MSH-12 maps onto them.</summary>
public static class Hl7Versions
{
    /// <summary>The version assumed when MSH-12 is absent or unreadable (the most common one in the field).</summary>
    public const string Default = "2.5.1";

    public static IReadOnlyList<string> Known { get; } =
        ["2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2", "2.9"];

    public static bool IsKnown(string version) => Known.Contains(version);

    /// <summary>
    /// The version to read a message as: MSH-12 when known, else its leading "major.minor" when
    /// that is known (e.g. "2.3.z" reads as 2.3), else <see cref="Default"/>.
    /// </summary>
    public static string Effective(string? declared)
    {
        var v = (declared ?? "").Trim();
        if (IsKnown(v))
        {
            return v;
        }
        if (v.Length >= 3 && v[0] == '2' && v[1] == '.' && char.IsAsciiDigit(v[2]))
        {
            var majorMinor = v[..3];
            if (IsKnown(majorMinor))
            {
                return majorMinor;
            }
        }
        return Default;
    }

    /// <summary>The minor version number of an effective version (2.5.1 → 5), for "from 2.7 on" rules.</summary>
    public static int Minor(string version) =>
        version.Length >= 3 && char.IsAsciiDigit(version[2]) ? version[2] - '0' : 5;
}
