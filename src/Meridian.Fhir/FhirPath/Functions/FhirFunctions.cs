using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>FHIR-specific functions: resolve, extension, hasValue, getValue, htmlChecks, conformsTo, memberOf.</summary>
internal static class FhirFunctions
{
    public static void Register(FunctionTable.Builder b)
    {
        b.Add("resolve", 0, 0, (s, input, _) => Resolve(s, input));
        b.Add("extension", 1, 1, Extension);
        b.Add("hasExtension", 1, 1, (s, input, args) => Items.Bool(Extension(s, input, args).Count > 0));
        b.Add("hasValue", input => Items.Bool(input.Count == 1 && input[0] is FhirNode { HasValue: true, IsPrimitive: true }));
        b.Add("getValue", input =>
            input.Count == 1 && input[0] is FhirNode { HasValue: true, IsPrimitive: true } n ? [SystemValues.ToSystem(n)] : Items.Empty);
        b.Add("htmlChecks", input => Items.Bool(input.Count == 0 || HtmlChecks.IsSafe(input)));
        b.Add("conformsTo", 1, 1, ConformsTo);
        b.Add("memberOf", 1, 1, MemberOf);
    }

    private static IReadOnlyList<object> Extension(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var url = Items.SingleString(args[0](s), "extension()");
        if (url is null)
        {
            return Items.Empty;
        }
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            if (input[i] is not FhirNode n)
            {
                continue;
            }
            foreach (var c in n.Children)
            {
                if (c.Name == "extension" && c.Child("url")?.Text == url)
                {
                    (result ??= []).Add(c);
                }
            }
        }
        return result is null ? Items.Empty : result;
    }

    private static IReadOnlyList<object> Resolve(Scope s, IReadOnlyList<object> input) => ResolveAll(s, input);

    /// <summary>The reference text of a Reference node, a uri/canonical node or a string.</summary>
    public static string? ReferenceOf(object item) => item switch
    {
        FhirNode { Kind: ValueKind.String } n => n.Text,
        FhirNode n => n.Child("reference")?.Text,
        string str => str,
        _ => null,
    };

    public static IReadOnlyList<object> ResolveAll(Scope s, IReadOnlyList<object> input)
    {
        List<object>? result = null;
        for (var i = 0; i < input.Count; i++)
        {
            var reference = ReferenceOf(input[i]);
            if (reference is not null && ReferenceResolver.Resolve(s, input[i] as FhirNode, reference) is { } target)
            {
                (result ??= []).Add(target);
            }
        }
        return result is null ? Items.Empty : result;
    }

    private static IReadOnlyList<object> ConformsTo(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var url = Items.SingleString(args[0](s), "conformsTo()");
        if (url is null || input.Count == 0)
        {
            return Items.Empty;
        }
        // Only base resource profiles are known here; profile validation is the validator's job.
        const string prefix = "http://hl7.org/fhir/StructureDefinition/";
        if (!url.StartsWith(prefix, StringComparison.Ordinal) || s.Spec.FindType(url[prefix.Length..]) is not { } type)
        {
            throw new FhirPathException($"conformsTo(): unknown profile '{url}'");
        }
        var item = Items.Single(input, "conformsTo()");
        return Items.Bool(item is FhirNode n && (n.TypeName == type.Name || n.Type?.IsA(type.Name) == true));
    }

    private static IReadOnlyList<object> MemberOf(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var url = Items.SingleString(args[0](s), "memberOf()");
        var item = Items.Single(input, "memberOf()");
        if (url is null || item is null)
        {
            return Items.Empty;
        }
        var vs = s.Spec.FindValueSet(url);
        if (vs is null || !vs.IsEnumerable)
        {
            // Without a terminology service the answer is unknown.
            return Items.Empty;
        }
        if (item is FhirNode n && !n.IsPrimitive)
        {
            var codings = n.TypeName == "CodeableConcept" ? n.ChildrenNamed("coding") : [n];
            foreach (var c in codings)
            {
                if (c.Child("code")?.Text is { } code && vs.Contains(c.Child("system")?.Text, code))
                {
                    return Items.True;
                }
            }
            return Items.False;
        }
        return SystemValues.ToText(item) is { } text ? Items.Bool(vs.Contains(null, text)) : Items.Empty;
    }
}
