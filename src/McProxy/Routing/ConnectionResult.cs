namespace McProxy.Routing;

/// <summary>
/// How a step or a route target ended a connection, for its access line. An abort (a deadline, a drain, a reset
/// seen by the relay) overrides <see cref="Outcome"/>: the first reason to end a connection is the one logged.
/// </summary>
/// <param name="Outcome">One of <see cref="ConnectionOutcome"/>.</param>
/// <param name="Detail">Why, for the access line's <c>detail</c> field; null for nothing to add.</param>
internal readonly record struct ConnectionResult(string Outcome, string? Detail = null)
{
    public static ConnectionResult Ok => new(ConnectionOutcome.Ok);
}
