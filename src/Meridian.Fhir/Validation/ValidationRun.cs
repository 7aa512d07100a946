using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Validation;

/// <summary>
/// One validation of one resource tree: walks every node once, running the precomputed plan
/// of its type and element. Holds the issues found (created only when there is one) and the
/// per-call caches (bundle fullUrl index). Not shared between threads.
/// </summary>
internal sealed partial class ValidationRun
{
    private readonly FhirValidator _validator;
    private readonly ValidationPlans _plans;
    private readonly ValidatorOptions _options;
    // When the tree comes with the parser's own issues, findings the parser already reported
    // (unknown elements, wrong JSON kinds) are not repeated.
    private readonly bool _reportParserFindings;
    private ImmutableArray<Issue>.Builder? _issues;

    public ValidationRun(FhirValidator validator, bool reportParserFindings)
    {
        _validator = validator;
        _plans = validator.Plans;
        _options = validator.Options;
        _reportParserFindings = reportParserFindings;
    }

    public ImmutableArray<Issue> Issues => _issues?.ToImmutable() ?? [];

    public void Add(Issue issue) => (_issues ??= ImmutableArray.CreateBuilder<Issue>()).Add(issue);

    private void Error(string code, string message, string expression, string? source = null) =>
        Add(new Issue(IssueSeverity.Error, code, message, expression, Source: source));

    public void Visit(FhirNode node)
    {
        var type = node.Type;
        if (type is null)
        {
            if (node.Kind == ValueKind.Unknown && _reportParserFindings)
            {
                // Named as the parser names it: the JSON property, without an index.
                Error(IssueType.Structure, $"Unknown element '{node.Name}'.", node.Parent is null ? node.Name : node.Parent.Location + "." + node.Name);
            }
            return;
        }
        var tp = _plans.For(type);
        if (tp is null)
        {
            return;
        }
        var def = node.Definition;
        var ep = def is null ? null : _plans.For(def);
        if (def is { IsChoice: true } && _reportParserFindings && !IsAllowedChoiceType(def, node.TypeName))
        {
            Error(IssueType.Structure, $"'{node.TypeName}' is not one of the types allowed for '{def.Path}'.", node.Location);
        }

        var invariants = _options.ValidateInvariants;
        if (node.IsResource)
        {
            if (tp.IsDomainResource && invariants)
            {
                CheckContained(node);
            }
        }
        // A primitive given as a JSON object or array (Kind Unknown) was reported by the parser.
        else if (invariants && !node.HasValue && node.Kind != ValueKind.Unknown && !HasChildOtherThanId(node))
        {
            Error(IssueType.Invariant, "ele-1: All FHIR elements must have a @value or children.", node.Location, "ele-1");
        }
        if (type.IsPrimitive)
        {
            CheckPrimitive(node, tp, ep);
        }
        else
        {
            switch (tp.Special)
            {
                case SpecialType.Reference:
                    if (invariants)
                    {
                        CheckRef1(node);
                    }
                    if (_options.ValidateReferences)
                    {
                        CheckReference(node, ep?.TargetTypes);
                    }
                    break;
                case SpecialType.Extension when invariants:
                    CheckExtension(node);
                    break;
            }
        }
        if (ep?.ValueSet is { } vs && _options.ValidateBindings)
        {
            CheckBinding(node, tp, vs);
        }
        CheckCardinality(node, tp);
        if (invariants)
        {
            EvaluateInvariants(node, tp.Invariants);
            // At the element that declares a backbone, the element's constraints are the type's.
            if (ep is not null && !ReferenceEquals(def, type.Root))
            {
                EvaluateInvariants(node, ep.Invariants);
            }
        }
        foreach (var child in node.Children)
        {
            Visit(child);
        }
    }

    private static bool IsAllowedChoiceType(ElementDefinition def, string typeName)
    {
        foreach (var t in def.Types)
        {
            if (t.Code == typeName)
            {
                return true;
            }
        }
        return false;
    }

    // ele-1 "hasValue() or (children().count() > id.count())", natively.
    private static bool HasChildOtherThanId(FhirNode node)
    {
        foreach (var c in node.Children)
        {
            if (c.Name != "id")
            {
                return true;
            }
        }
        return false;
    }

    // ext-1 "extension.exists() != value.exists()", natively.
    private void CheckExtension(FhirNode node)
    {
        var hasExtension = false;
        var hasValue = false;
        foreach (var c in node.Children)
        {
            hasExtension |= c.Name == "extension";
            hasValue |= c.Name == "value";
        }
        if (hasExtension == hasValue)
        {
            Error(IssueType.Invariant, "ext-1: Must have either extensions or value[x], not both.", node.Location, "ext-1");
        }
    }

    private void CheckPrimitive(FhirNode node, TypePlan tp, ElementPlan? ep)
    {
        var text = node.Text;
        if (node.Kind == ValueKind.Unknown)
        {
            if (_reportParserFindings)
            {
                Error(IssueType.Structure, $"A {tp.Type.Name} must be a primitive JSON value.", node.Location);
            }
            return;
        }
        if (text is null)
        {
            return;
        }
        if (node.Kind != tp.JsonKind)
        {
            if (_reportParserFindings)
            {
                Error(IssueType.Structure, $"A {tp.Type.Name} must be a JSON {Describe(tp.JsonKind)}, not a {Describe(node.Kind)}.", node.Location);
            }
            return;
        }
        // Resource.id is typed string in the R4 snapshot, but the spec text makes it an id.
        var kind = node.Name == "id" && node.Parent is { IsResource: true } ? PrimitiveKind.Id : tp.Primitive;
        if (PrimitiveFormats.Check(kind, text, tp.Fallback) is { } problem)
        {
            Error(IssueType.Value, $"The {(kind == PrimitiveKind.Id ? "id" : tp.Type.Name)} value '{Shorten(text)}' {problem}.", node.Location);
            return;
        }
        var max = ep?.MaxLength ?? (kind is PrimitiveKind.String or PrimitiveKind.Markdown ? _options.MaxStringLength : int.MaxValue);
        if (text.Length > max)
        {
            Error(IssueType.TooLong, $"The value is {text.Length:N0} characters long; at most {max:N0} are allowed.", node.Location);
        }
    }

    private void CheckCardinality(FhirNode node, TypePlan tp)
    {
        ElementDefinition? previous = null;
        var run = 0;
        foreach (var c in node.Children)
        {
            var d = c.Definition;
            if (d is null)
            {
                continue;
            }
            run = d == previous ? run + 1 : 1;
            previous = d;
            if (run == d.Max + 1)
            {
                Error(IssueType.Structure, $"'{d.Path}' allows at most {d.Max} item(s).", c.Location);
            }
        }
        foreach (var required in tp.Required)
        {
            if (!HasChild(node, required))
            {
                Error(IssueType.Required, $"'{required.Path}' is required (min {required.Min}) but missing.", node.Location + "." + required.Name);
            }
        }
    }

    private static bool HasChild(FhirNode node, ElementDefinition element)
    {
        foreach (var c in node.Children)
        {
            if (c.Definition == element)
            {
                return true;
            }
        }
        return false;
    }

    private void CheckBinding(FhirNode node, TypePlan tp, ExpandedValueSet vs)
    {
        if (tp.Type.IsPrimitive)
        {
            if (node.Kind == ValueKind.String && node.Text is { Length: > 0 } code && !vs.Contains(null, code))
            {
                Error(IssueType.CodeInvalid, $"The code '{Shorten(code)}' is not in the required value set {vs.Url}.", node.Location);
            }
            return;
        }
        switch (tp.Special)
        {
            case SpecialType.Coding:
                if (CodingMembership(node, vs) < 0)
                {
                    Error(IssueType.CodeInvalid, $"The coding is not in the required value set {vs.Url}.", node.Location);
                }
                break;
            case SpecialType.CodeableConcept:
                var anyOutside = false;
                foreach (var coding in node.Children)
                {
                    if (coding.Name != "coding")
                    {
                        continue;
                    }
                    var m = CodingMembership(coding, vs);
                    if (m > 0)
                    {
                        return;
                    }
                    anyOutside |= m < 0;
                }
                // A concept given only as text (or codings without codes) is not checked.
                if (anyOutside)
                {
                    Error(IssueType.CodeInvalid, $"None of the codings is in the required value set {vs.Url}.", node.Location);
                }
                break;
        }
    }

    /// <summary>1 when the coding's code is in the value set, -1 when not, 0 when it has no code.</summary>
    private static int CodingMembership(FhirNode coding, ExpandedValueSet vs)
    {
        string? system = null;
        string? code = null;
        foreach (var c in coding.Children)
        {
            if (c.Name == "system")
            {
                system = c.Text;
            }
            else if (c.Name == "code")
            {
                code = c.Text;
            }
        }
        if (code is null)
        {
            return 0;
        }
        return vs.Contains(system, code) ? 1 : -1;
    }

    internal static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");

    private static string Describe(ValueKind kind) => kind switch
    {
        ValueKind.Boolean => "boolean",
        ValueKind.Number => "number",
        _ => "string",
    };
}
