namespace McProxy.Routing;

/// <summary>A change <see cref="RoutingState"/> refused, naming the field it is about; the admin API maps it to a status.</summary>
internal sealed class RoutingException(RoutingError error, string field, string message) : Exception(message)
{
    public RoutingError Error { get; } = error;

    /// <summary>The request field the refusal is about, as the admin API names it ("hostname", "policy", "rule").</summary>
    public string Field { get; } = field;
}
