namespace McProxy.Model;

/// <summary>A <see cref="BackendAdminState"/> as written in the store, the admin API and mcproxyctl.</summary>
internal static class BackendAdminStates
{
    public static string Name(BackendAdminState state) => state switch
    {
        BackendAdminState.Drain => "drain",
        BackendAdminState.Disabled => "disabled",
        _ => "enabled",
    };

    /// <summary>"enabled", "drain" or "disabled"; null for anything else.</summary>
    public static BackendAdminState? Parse(string state) => state switch
    {
        "enabled" => BackendAdminState.Enabled,
        "drain" => BackendAdminState.Drain,
        "disabled" => BackendAdminState.Disabled,
        _ => null,
    };
}
