using McProxy.Config;
using McProxy.Model;
using Microsoft.Net.Http.Headers;

namespace McProxy.Http.Policies;

/// <summary>
/// The original's two rule types, evaluated in order; the first match blocks. <c>block_user_agent</c>: the value
/// is a case-insensitive substring of User-Agent (a request without one does not match). <c>require_header</c>:
/// the named header (case-insensitive) must be present, an empty value counts as present.
/// </summary>
internal static class L7PolicyEvaluator
{
    /// <summary>The first policy that blocks this request, or null to let it through.</summary>
    public static L7Policy? FirstMatch(IReadOnlyList<L7Policy> policies, IHeaderDictionary headers)
    {
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = policies[i];
            var blocks = policy.Type switch
            {
                L7PolicyConfig.BlockUserAgent => UserAgentContains(headers, policy.Value),
                L7PolicyConfig.RequireHeader => !headers.ContainsKey(policy.Value),
                _ => false,
            };
            if (blocks)
            {
                return policy;
            }
        }

        return null;
    }

    private static bool UserAgentContains(IHeaderDictionary headers, string value)
    {
        foreach (var userAgent in headers[HeaderNames.UserAgent])
        {
            if (userAgent is not null && userAgent.Contains(value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
