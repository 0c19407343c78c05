namespace McProxy.Model;

/// <summary>What an operator set on a backend, as HAProxy's <c>set server state ready|drain|maint</c>.</summary>
internal enum BackendAdminState
{
    /// <summary>Takes new connections while it is up.</summary>
    Enabled,

    /// <summary>Takes no new connection; the open ones run to their end.</summary>
    Drain,

    /// <summary>Takes nothing new. Open connections are left alone too: cutting them is not this state's job.</summary>
    Disabled,
}
