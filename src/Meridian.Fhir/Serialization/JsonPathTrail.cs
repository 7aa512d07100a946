using System.Text;

namespace Meridian.Fhir.Serialization;

// A cheap trail of where the parser is, turned into a FHIRPath-like location only when an
// issue has to name it: valid resources never pay for building location strings.
internal abstract class PathTrail
{
    public abstract void AppendTo(StringBuilder sb);

    public override string ToString()
    {
        var sb = new StringBuilder();
        AppendTo(sb);
        return sb.ToString();
    }
}

internal sealed class RootPath : PathTrail
{
    public static RootPath Instance { get; } = new();

    public override void AppendTo(StringBuilder sb)
    {
    }
}

internal sealed class ChildPath(PathTrail parent, string name, int index) : PathTrail
{
    public override void AppendTo(StringBuilder sb)
    {
        parent.AppendTo(sb);
        if (sb.Length > 0)
        {
            sb.Append('.');
        }
        sb.Append(name);
        if (index >= 0)
        {
            sb.Append('[').Append(index).Append(']');
        }
    }
}
