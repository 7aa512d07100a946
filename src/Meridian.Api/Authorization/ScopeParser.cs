using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Meridian.Api.Internal;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Authorization;

/// <summary>
/// Parses SMART App Launch scopes, v2 (<c>patient|user|system/(Type|*).[c][r][u][d][s][?param=value&amp;…]</c>)
/// and v1 (<c>.read</c>, <c>.write</c>, <c>.*</c>). A scope naming an unknown resource type, letters
/// out of order or repeated, or a broken restriction is invalid: ignored, never widened.
/// </summary>
public static partial class ScopeParser
{
    // v2: letters must appear in the canonical order, each at most once (SMART v2 §scopes).
    [GeneratedRegex("^(patient|user|system)/([A-Za-z]{1,64}|\\*)\\.(c?r?u?d?s?)(\\?.+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex V2();

    [GeneratedRegex("^(patient|user|system)/([A-Za-z]{1,64}|\\*)\\.(read|write|\\*)$", RegexOptions.CultureInvariant)]
    private static partial Regex V1();

    /// <summary>OAuth/SMART scopes that are valid but grant no FHIR data by themselves.</summary>
    private static readonly HashSet<string> s_nonResource =
    [
        "openid", "profile", "fhirUser", "launch", "launch/patient", "launch/encounter",
        "offline_access", "online_access",
    ];

    public static ScopeSet Parse(IEnumerable<string> scopes, FhirSpec spec)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(spec);
        var resources = ImmutableArray.CreateBuilder<SmartScope>();
        var other = ImmutableArray.CreateBuilder<string>();
        var invalid = ImmutableArray.CreateBuilder<string>();
        foreach (var raw in scopes)
        {
            // A token's "scope" claim is space separated; accept either form.
            foreach (var text in (raw ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryParse(text, spec, out var scope))
                {
                    resources.Add(scope!);
                }
                else if (s_nonResource.Contains(text) || text.StartsWith("launch/", StringComparison.Ordinal))
                {
                    other.Add(text);
                }
                else
                {
                    invalid.Add(text);
                }
            }
        }
        return new ScopeSet(resources.ToImmutable(), other.ToImmutable(), invalid.ToImmutable());
    }

    /// <summary>One resource scope, or false when <paramref name="text"/> is not a valid one.</summary>
    public static bool TryParse(string text, FhirSpec spec, out SmartScope? scope)
    {
        ArgumentNullException.ThrowIfNull(spec);
        scope = null;
        if (string.IsNullOrEmpty(text) || text.Length > 1024)
        {
            return false;
        }
        var v2 = V2().Match(text);
        var v1 = v2.Success ? Match.Empty : V1().Match(text);
        var m = v2.Success ? v2 : v1;
        if (!m.Success)
        {
            return false;
        }
        var context = m.Groups[1].Value switch
        {
            "patient" => ScopeContext.Patient,
            "user" => ScopeContext.User,
            _ => ScopeContext.System,
        };
        var type = m.Groups[2].Value == "*" ? null : m.Groups[2].Value;
        if (type is not null && !spec.IsResourceType(type))
        {
            return false;
        }
        ScopePermissions permissions;
        ImmutableArray<KeyValuePair<string, string>> restrictions = [];
        if (v2.Success)
        {
            permissions = Letters(m.Groups[3].Value);
            if (permissions == ScopePermissions.None)
            {
                return false;
            }
            if (m.Groups[4].Success)
            {
                restrictions = QueryString.Parse(m.Groups[4].Value);
                if (restrictions.IsEmpty || restrictions.Any(kv => kv.Key.Length == 0 || kv.Value.Length == 0))
                {
                    return false;
                }
            }
        }
        else
        {
            permissions = m.Groups[3].Value switch
            {
                "read" => ScopePermissions.Read | ScopePermissions.Search,
                "write" => ScopePermissions.Create | ScopePermissions.Update | ScopePermissions.Delete,
                _ => ScopePermissions.All,
            };
        }
        scope = new SmartScope(text, context, type, permissions) { Restrictions = restrictions };
        return true;
    }

    private static ScopePermissions Letters(string letters)
    {
        var p = ScopePermissions.None;
        foreach (var c in letters)
        {
            p |= c switch
            {
                'c' => ScopePermissions.Create,
                'r' => ScopePermissions.Read,
                'u' => ScopePermissions.Update,
                'd' => ScopePermissions.Delete,
                _ => ScopePermissions.Search,
            };
        }
        return p;
    }

    /// <summary>The v2 letters of <paramref name="permissions"/> (<c>cruds</c> order).</summary>
    public static string LettersOf(ScopePermissions permissions)
    {
        Span<char> buffer = stackalloc char[5];
        var n = 0;
        foreach (var (flag, letter) in new[] { (ScopePermissions.Create, 'c'), (ScopePermissions.Read, 'r'), (ScopePermissions.Update, 'u'), (ScopePermissions.Delete, 'd'), (ScopePermissions.Search, 's') })
        {
            if ((permissions & flag) != 0)
            {
                buffer[n++] = letter;
            }
        }
        return new string(buffer[..n]);
    }
}
