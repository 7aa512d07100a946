namespace Meridian.Api.Internal;

/// <summary>What a request path names, before the method picks the interaction.</summary>
internal enum RouteKind
{
    Base,           // ""
    Metadata,       // metadata
    SystemHistory,  // _history
    SystemSearch,   // _search
    SystemOperation,// $op
    Type,           // Patient
    TypeSearch,     // Patient/_search
    TypeHistory,    // Patient/_history
    TypeOperation,  // Patient/$op
    Instance,       // Patient/1
    InstanceHistory,// Patient/1/_history
    Version,        // Patient/1/_history/2
    InstanceOperation, // Patient/1/$op
    Compartment,    // Patient/1/Observation, Patient/1/* (Target = Observation or *)
    CompartmentSearch, // Patient/1/Observation/_search
    Invalid,
}

internal sealed record Route(RouteKind Kind, string? Type = null, string? Id = null, string? Version = null, string? Operation = null, string? Target = null)
{
    public static Route Parse(string path)
    {
        var p = path.Trim('/');
        if (p.Length == 0)
        {
            return new Route(RouteKind.Base);
        }
        var s = p.Split('/');
        return s.Length switch
        {
            1 when s[0] == "metadata" => new Route(RouteKind.Metadata),
            1 when s[0] == "_history" => new Route(RouteKind.SystemHistory),
            1 when s[0] == "_search" => new Route(RouteKind.SystemSearch),
            1 when s[0].StartsWith('$') => new Route(RouteKind.SystemOperation, Operation: s[0][1..]),
            1 => new Route(RouteKind.Type, s[0]),
            2 when s[1] == "_search" => new Route(RouteKind.TypeSearch, s[0]),
            2 when s[1] == "_history" => new Route(RouteKind.TypeHistory, s[0]),
            2 when s[1].StartsWith('$') => new Route(RouteKind.TypeOperation, s[0], Operation: s[1][1..]),
            2 => new Route(RouteKind.Instance, s[0], s[1]),
            3 when s[2] == "_history" => new Route(RouteKind.InstanceHistory, s[0], s[1]),
            3 when s[2].StartsWith('$') => new Route(RouteKind.InstanceOperation, s[0], s[1], Operation: s[2][1..]),
            3 when s[2].Length > 0 && !s[2].StartsWith('_') => new Route(RouteKind.Compartment, s[0], s[1], Target: s[2]),
            4 when s[2] == "_history" => new Route(RouteKind.Version, s[0], s[1], s[3]),
            4 when s[3] == "_search" && s[2].Length > 0 && !s[2].StartsWith('_') => new Route(RouteKind.CompartmentSearch, s[0], s[1], Target: s[2]),
            _ => new Route(RouteKind.Invalid),
        };
    }
}
