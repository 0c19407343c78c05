namespace McProxy.Routing;

/// <summary>Why <see cref="RoutingState"/> refused a change.</summary>
internal enum RoutingError
{
    /// <summary>The route, policy or rule to change does not exist.</summary>
    NotFound,

    /// <summary>What is to be added exists already.</summary>
    AlreadyExists,

    /// <summary>The change does not fit the current state (a policy on an L4 route, say).</summary>
    FailedPrecondition,

    /// <summary>The store failed to commit; nothing was changed, in the database or in memory.</summary>
    StoreFailed,
}
