using System.Collections.Immutable;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Forms composite values: each component expression is evaluated on each node the composite
/// selects, and every combination of component values becomes one <see cref="CompositeValue"/>
/// (so one Observation.component yields code×value tuples, never pairs across components).
/// One builder serves one extraction: it reuses scratch lists, and remembers converted component
/// values per (selector, node), because Observation's eight composites all convert the same
/// <c>code</c>. Components are selected before any is converted, so a composite whose value
/// component is absent (most of them, on any one Observation) costs no conversion.
/// </summary>
internal sealed class CompositeBuilder(ValueConverter converter)
{
    private readonly List<List<FhirNode>> _nodes = [];
    private readonly List<List<SearchValue>> _values = [];
    private readonly List<(INodeSelector Selector, FhirNode Focus, List<SearchValue> Values)> _converted = [];

    public void Build(ImmutableArray<ComponentPlan> components, List<FhirNode> focusNodes, FhirNode resource, List<SearchValue> output)
    {
        while (_nodes.Count < components.Length)
        {
            _nodes.Add(new List<FhirNode>(4));
            _values.Add([]);
        }
        foreach (var focus in focusNodes)
        {
            if (!SelectAll(components, focus, resource))
            {
                continue; // a composite matches only when every component has a value
            }
            var combinations = 1;
            for (var i = 0; i < components.Length; i++)
            {
                var values = ConvertedValues(components[i], focus, resource, _nodes[i]);
                _values[i] = values;
                combinations *= values.Count;
            }
            AddCombinations(components.Length, combinations, output);
        }
    }

    private bool SelectAll(ImmutableArray<ComponentPlan> components, FhirNode focus, FhirNode resource)
    {
        for (var i = 0; i < components.Length; i++)
        {
            var nodes = _nodes[i];
            nodes.Clear();
            components[i].Selector.Select(focus, resource, nodes);
            if (nodes.Count == 0)
            {
                return false;
            }
        }
        return true;
    }

    private List<SearchValue> ConvertedValues(ComponentPlan component, FhirNode focus, FhirNode resource, List<FhirNode> nodes)
    {
        foreach (var (selector, node, values) in _converted)
        {
            if (ReferenceEquals(selector, component.Selector) && ReferenceEquals(node, focus))
            {
                return values;
            }
        }
        var converted = new List<SearchValue>(nodes.Count);
        foreach (var n in nodes)
        {
            converter.Convert(component.Type, n, resource, converted);
        }
        // Composite search has no :text modifier, so text-only token rows (CodeableConcept.text)
        // could never match inside a tuple: leave them out rather than multiply tuples.
        converted.RemoveAll(static v => v is TokenValue { Code: null });
        _converted.Add((component.Selector, focus, converted));
        return converted;
    }

    private void AddCombinations(int width, int combinations, List<SearchValue> output)
    {
        Span<int> index = stackalloc int[width];
        for (var k = 0; k < combinations; k++)
        {
            var tuple = ImmutableArray.CreateBuilder<SearchValue>(width);
            for (var i = 0; i < width; i++)
            {
                tuple.Add(_values[i][index[i]]);
            }
            output.Add(new CompositeValue(tuple.MoveToImmutable()));
            // Advance the odometer: the last component varies fastest.
            for (var i = width - 1; i >= 0; i--)
            {
                if (++index[i] < _values[i].Count)
                {
                    break;
                }
                index[i] = 0;
            }
        }
    }
}
