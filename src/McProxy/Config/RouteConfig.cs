using McProxy.Model;

namespace McProxy.Config;

/// <summary>A route as the config file gives it: the route the data plane and the store take, and its L7 policies.</summary>
internal sealed record RouteConfig(RouteSettings Route, IReadOnlyList<L7PolicyConfig> L7Policies)
{
    public string Hostname => Route.Hostname;

    /// <summary>The route a draft gives once <see cref="RouteRules.Check"/> has passed it, with its policies.</summary>
    public static RouteConfig FromDraft(RouteDraft draft, IReadOnlyList<L7PolicyConfig> policies) => new(RouteSettings.FromDraft(draft), policies);
}
