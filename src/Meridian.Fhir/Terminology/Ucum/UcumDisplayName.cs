using System.Globalization;
using System.Text;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// A readable long form of a parsed unit, in the style of the UCUM functional tests:
/// "(meter ^ 3) * (kilogram ^ -1)", "4 * (the number pi) / (ampère ^ 2)".
/// </summary>
internal static class UcumDisplayName
{
    public static string Format(UcumTerm term)
    {
        var sb = new StringBuilder();
        Append(sb, term);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, UcumTerm term)
    {
        for (var i = 0; i < term.Parts.Length; i++)
        {
            var part = term.Parts[i];
            if (i > 0)
            {
                sb.Append(part.Divide ? " / " : " * ");
            }
            else if (part.Divide)
            {
                sb.Append("1 / ");
            }
            switch (part.Component)
            {
                case UcumFactorComponent f:
                    sb.Append(f.Value.ToString(CultureInfo.InvariantCulture));
                    break;
                case UcumUnityComponent u:
                    sb.Append(u.Annotation);
                    break;
                case UcumGroupComponent g:
                    sb.Append('(');
                    Append(sb, g.Term);
                    sb.Append(')');
                    break;
                case UcumUnitComponent unit:
                    sb.Append('(').Append(unit.Prefix?.Name).Append(unit.Atom.Name);
                    if (unit.Exponent != 1)
                    {
                        sb.Append(" ^ ").Append(unit.Exponent.ToString(CultureInfo.InvariantCulture));
                    }
                    sb.Append(')');
                    break;
            }
        }
    }
}
