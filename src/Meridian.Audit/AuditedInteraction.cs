namespace Meridian.Audit;

/// <summary>
/// What a request does, in the terms of an AuditEvent: the FHIR RESTful interaction code
/// (<c>http://hl7.org/fhir/restful-interaction</c>), the action (C/R/U/D/E), and the target
/// named by the path. Derived from method and path alone, before the request runs.
/// </summary>
public sealed record AuditedInteraction(string Code, string Action, string? Type = null, string? Id = null, string? VersionId = null, string? Operation = null)
{
    public bool IsWrite => Action is "C" or "U" or "D" || Code is "transaction" or "batch";

    public static AuditedInteraction Classify(string method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        var s = (path ?? "").Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var get = method is "GET" or "HEAD";
        return (method, s.Length) switch
        {
            (_, 0) when method == "POST" => new("transaction", "E"), // refined to batch from the body
            (_, 0) when method == "OPTIONS" => new("capabilities", "R"),
            (_, 0) => new("search-system", "E"),
            (_, 1) when s[0] == "metadata" => new("capabilities", "R"),
            (_, 1) when s[0] == "_history" => new("history-system", "R"),
            (_, 1) when s[0] == "_search" => new("search-system", "E"),
            (_, 1) when s[0].StartsWith('$') => new("operation", "E", Operation: s[0][1..]),
            ("POST", 1) => new("create", "C", s[0]),
            ("PUT", 1) => new("update", "U", s[0]),       // conditional update
            ("PATCH", 1) => new("patch", "U", s[0]),      // conditional patch
            ("DELETE", 1) => new("delete", "D", s[0]),    // conditional delete
            (_, 1) => new("search-type", "E", s[0]),
            (_, 2) when s[1] == "_search" => new("search-type", "E", s[0]),
            (_, 2) when s[1] == "_history" => new("history-type", "R", s[0]),
            (_, 2) when s[1].StartsWith('$') => new("operation", "E", s[0], Operation: s[1][1..]),
            ("PUT", 2) => new("update", "U", s[0], s[1]),
            ("PATCH", 2) => new("patch", "U", s[0], s[1]),
            ("DELETE", 2) => new("delete", "D", s[0], s[1]),
            (_, 2) when get => new("read", "R", s[0], s[1]),
            (_, 3) when s[2] == "_history" => new("history-instance", "R", s[0], s[1]),
            (_, 3) when s[2].StartsWith('$') => new("operation", "E", s[0], s[1], Operation: s[2][1..]),
            (_, 3) => new("search-type", "E", s[2]), // compartment search Patient/1/Observation
            (_, 4) when s[2] == "_history" => new("vread", "R", s[0], s[1], s[3]),
            _ => new("operation", "E"),
        };
    }
}
