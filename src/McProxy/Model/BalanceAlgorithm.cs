namespace McProxy.Model;

/// <summary>How a route's backend pool chooses among its usable members (a route's <c>balance</c>).</summary>
internal enum BalanceAlgorithm
{
    /// <summary>The member with the fewest active connections; ties go round robin so equal idle members share load.</summary>
    LeastConnections,

    /// <summary>Each usable member in turn.</summary>
    RoundRobin,

    /// <summary>The first usable member in configured order: active/standby.</summary>
    First,
}
