using System.Collections.Immutable;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Forms composite values: each component expression is evaluated on each node the composite
/// selects, and every combination of component values becomes one <see cref="CompositeValue"/>
/// (so one Observation.component yields code×value tuples, never pairs across components).
/// Scratch lists are reused across calls within one extraction.
/// </summary>
internal sealed class CompositeBuilder(ValueConverter converter)
{
    private readonly List<FhirNode> _nodes = new(4);
    private readonly List<List<SearchValue>> _perComponent = [];

    public void Build(ImmutableArray<ComponentPlan> components, List<FhirNode> focusNodes, FhirNode resource, List<SearchValue> output)
    {
        while (_perComponent.Count < components.Length)
        {
            _perComponent.Add(new List<SearchValue>(4));
        }
        foreach (var focus in focusNodes)
        {
            var combinations = 1;
            for (var i = 0; i < components.Length; i++)
            {
                var values = _perComponent[i];
                values.Clear();
                _nodes.Clear();
                components[i].Selector.Select(focus, resource, _nodes);
                foreach (var n in _nodes)
                {
                    converter.Convert(components[i].Type, n, resource, values);
                }
                combinations *= values.Count;
            }
            if (combinations == 0)
            {
                continue; // a composite matches only when every component has a value
            }
            var index = new int[components.Length];
            for (var k = 0; k < combinations; k++)
            {
                var tuple = ImmutableArray.CreateBuilder<SearchValue>(components.Length);
                for (var i = 0; i < components.Length; i++)
                {
                    tuple.Add(_perComponent[i][index[i]]);
                }
                output.Add(new CompositeValue(tuple.MoveToImmutable()));
                // Advance the odometer: the last component varies fastest.
                for (var i = components.Length - 1; i >= 0; i--)
                {
                    if (++index[i] < _perComponent[i].Count)
                    {
                        break;
                    }
                    index[i] = 0;
                }
            }
        }
    }
}
