using System.Collections.Immutable;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Validation;

internal sealed partial class ValidationRun
{
    // Invariants need the FHIRPath engine (branch fhirpath); until it is merged only the
    // natively checked ones (ele-1, ext-1) run.
    private static void EvaluateInvariants(FhirNode node, ImmutableArray<CompiledConstraint> constraints)
    {
        _ = node;
        _ = constraints;
    }
}
