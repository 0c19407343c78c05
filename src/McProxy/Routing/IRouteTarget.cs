namespace McProxy.Routing;

/// <summary>
/// Where a routed connection goes, as inetaf/tcpproxy's <c>Target</c>: the L4 relay (<c>Relay/</c>) or the L7
/// hand-off to Kestrel (<c>Http/Hosting/</c>). The listener admits, sniffs and routes, then awaits the target; the
/// target serves the connection to its end and says how it ended. The listener writes the access line.
/// </summary>
internal interface IRouteTarget
{
    /// <summary>
    /// Serves <paramref name="connection"/> until it ends. Socket errors may be thrown (the listener logs them as
    /// <c>reset</c>); the sockets are the listener's to close.
    /// </summary>
    Task<ConnectionResult> ServeAsync(RoutedConnection connection);
}
