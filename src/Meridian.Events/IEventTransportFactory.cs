namespace Meridian.Events;

/// <summary>
/// How a host picks a transport by name (<c>Meridian:Events:Transport</c>): every transport
/// project registers one factory (the in-process one is built in); the host creates the named
/// transport when the backbone starts and refuses to start when no factory has that name.
/// </summary>
public interface IEventTransportFactory
{
    /// <summary>The configuration value that selects it: <c>inprocess</c>, <c>rabbitmq</c>.</summary>
    string Name { get; }

    /// <summary>Creates the transport; the backbone owns and disposes it. <paramref name="services"/>
    /// is the host's container (its configuration, store, logging), <paramref name="options"/>
    /// the backbone's settings.</summary>
    IEventTransport Create(IServiceProvider services, EventBackboneOptions options);
}
