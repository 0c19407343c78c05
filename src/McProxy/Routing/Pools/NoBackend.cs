using McProxy.Model;

namespace McProxy.Routing.Pools;

/// <summary>The access line's detail when a route has no usable member: what its members are, so the cause shows.</summary>
internal static class NoBackend
{
    /// <summary>"no usable backend of 3: 1 drained, 0 disabled, 2 down".</summary>
    public static string Describe(BackendPool pool)
    {
        int drained = 0, disabled = 0, down = 0;
        foreach (var member in pool.Members)
        {
            switch (member.AdminState)
            {
                case BackendAdminState.Drain:
                    drained++;
                    break;
                case BackendAdminState.Disabled:
                    disabled++;
                    break;
                default:
                    if (!member.IsUp)
                    {
                        down++;
                    }

                    break;
            }
        }

        return $"no usable backend of {pool.Members.Length}: {drained} drained, {disabled} disabled, {down} down";
    }
}
