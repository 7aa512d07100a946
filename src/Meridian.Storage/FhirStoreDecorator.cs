namespace Meridian.Storage;

/// <summary>
/// A store that wraps another to add a concern (audit facts, authorization) without changing
/// the contract. Optional capabilities of the inner store (<see cref="IFhirStoreMaintenance"/>,
/// the audit chain reader) stay reachable through <see cref="FhirStoreCapabilities.Find{T}"/>
/// instead of every wrapper re-implementing them.
/// </summary>
public interface IFhirStoreDecorator
{
    IFhirStore Inner { get; }
}

public static class FhirStoreCapabilities
{
    /// <summary>The first store in the wrapper chain (outermost first) that offers <typeparamref name="T"/>, or null.</summary>
    public static T? Find<T>(this IFhirStore store) where T : class
    {
        for (IFhirStore? s = store; s is not null; s = (s as IFhirStoreDecorator)?.Inner)
        {
            if (s is T capability)
            {
                return capability;
            }
        }
        return null;
    }
}
