using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Runs a compiled FHIRPath expression for the few search expressions beyond the navigation
/// subset (e.g. <c>Patient.deceased.exists() and Patient.deceased != false</c>). System values
/// in the result (a Boolean, a String) become detached primitive nodes so the value converters
/// see one kind of input.
/// </summary>
internal sealed class EngineSelector(CompiledExpression expression, FhirSpec spec) : INodeSelector
{
    private readonly FhirNode _true = Primitive(spec, "boolean", ValueKind.Boolean, "true");
    private readonly FhirNode _false = Primitive(spec, "boolean", ValueKind.Boolean, "false");

    public string Engine => "fhirpath";

    public CompiledExpression Expression { get; } = expression;

    public void Select(FhirNode focus, FhirNode resource, List<FhirNode> output)
    {
        IReadOnlyList<object> result;
        try
        {
            result = Expression.Evaluate(focus, new EvaluationContext { Resource = resource, RootResource = resource.Parent is null ? resource : null });
        }
        catch (FhirPathException)
        {
            // Malformed content (e.g. several values where the expression expects one) must not
            // stop the resource from being indexed: this parameter just yields nothing.
            return;
        }
        foreach (var item in result)
        {
            switch (item)
            {
                case FhirNode node:
                    output.Add(node);
                    break;
                case bool b:
                    output.Add(b ? _true : _false);
                    break;
                case string s:
                    output.Add(Primitive(spec, "string", ValueKind.String, s));
                    break;
            }
        }
    }

    private static FhirNode Primitive(FhirSpec spec, string type, ValueKind kind, string text) =>
        new("value", type, spec.FindType(type), null, kind, text, ImmutableArray<FhirNode>.Empty);
}
