using McProxy.Model;
using McProxy.Net;
using RouteMessage = McProxy.Client.V1.Route;

namespace McProxy.Admin;

/// <summary>
/// Checks a route from the admin API with <see cref="RouteRules"/>, the rules the config reader applies, plus one of
/// its own: file paths must be absolute, since the server's working directory means nothing to a remote caller. The
/// files are loaded and checked here, before the mutation lock is taken: a slow or hostile file never holds up another
/// mutation.
/// </summary>
internal static class RouteValidator
{
    /// <summary>The route to add (hostname normalised); throws InvalidArgument naming the first bad field.</summary>
    public static RouteSettings Validate(RouteMessage? route)
    {
        if (route is null)
        {
            throw AdminErrors.InvalidArgument("route", "is required");
        }

        var draft = new RouteDraft
        {
            Hostname = route.Hostname,
            Backend = route.Backend,
            Backends = [.. route.Backends],
            Balance = route.Balance,
            HealthCheck = route.HealthCheck,
            Mode = route.Mode,
            TlsCert = route.TlsCert,
            TlsKey = route.TlsKey,
            BackendTls = route.BackendTls,
            BackendCa = route.BackendCa,
            BackendH2c = route.BackendH2C,
            SendProxyProtocol = route.SendProxyProtocol,
        };
        ThrowFirst(RouteRules.Check(draft));
        foreach (var (field, path) in RouteRules.Paths(draft))
        {
            if (path.Length > 0 && !Path.IsPathFullyQualified(path))
            {
                throw AdminErrors.InvalidArgument("route." + field, $"{RuleText.Quote(path)} must be an absolute path");
            }
        }

        ThrowFirst(RouteRules.CheckFiles(draft));
        return RouteSettings.FromDraft(draft);
    }

    private static void ThrowFirst(List<RuleError> errors)
    {
        if (errors.Count > 0)
        {
            throw AdminErrors.InvalidArgument("route." + errors[0].Field, errors[0].Message);
        }
    }
}
