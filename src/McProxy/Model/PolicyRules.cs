using McProxy.Config;
using McProxy.Net;

namespace McProxy.Model;

/// <summary>
/// The rules an L7 policy obeys, from the config or the admin API. Values are bounded because every policy is held in
/// memory, sent whole by ListRoutes and ListL7Policies (gRPC's default 4 MiB message limit) and matched on every request.
/// </summary>
internal static class PolicyRules
{
    /// <summary>
    /// A require_header value is a header name: registered field names are under 40 characters, and 256 is far past any
    /// real one while keeping thousands of policies within one list response.
    /// </summary>
    public const int MaxHeaderNameLength = 256;

    /// <summary>
    /// A block_user_agent value is a substring of User-Agent: real ones are up to a few hundred characters, so a longer
    /// needle could never match one; 1024 leaves room and keeps the per-request substring search cheap.
    /// </summary>
    public const int MaxUserAgentLength = 1024;

    /// <summary>The policy's errors on "type" and "value"; empty when it is valid.</summary>
    public static List<RuleError> Check(string type, string value)
    {
        var errors = new List<RuleError>();
        switch (type)
        {
            case L7PolicyConfig.RequireHeader:
                if (RequireHeaderValue(value) is { } header)
                {
                    errors.Add(header);
                }

                break;
            case L7PolicyConfig.BlockUserAgent:
                if (BlockUserAgentValue(value) is { } userAgent)
                {
                    errors.Add(userAgent);
                }

                break;
            default:
                errors.Add(new RuleError("type", type.Length == 0 ? "is required" : $"{RuleText.Quote(type)} is not \"{L7PolicyConfig.BlockUserAgent}\" or \"{L7PolicyConfig.RequireHeader}\""));
                if (value.Length == 0)
                {
                    errors.Add(new RuleError("value", "must not be empty"));
                }

                break;
        }

        return errors;
    }

    /// <summary>An HTTP field name (RFC 9110 §5.1: a token), so no ": value", no whitespace, CR, LF or NUL.</summary>
    public static RuleError? RequireHeaderValue(string value)
    {
        if (value.Length == 0)
        {
            return new RuleError("value", "must not be empty (the name of the header a request must carry)");
        }

        if (value.Length > MaxHeaderNameLength)
        {
            return new RuleError("value", $"{RuleText.Quote(value)} is {value.Length} characters long; a header name is at most {MaxHeaderNameLength}");
        }

        foreach (var c in value)
        {
            if (!IsTokenChar(c))
            {
                return new RuleError("value", $"{RuleText.Quote(value)} is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~ only; the policy checks that the header is present, not its value)");
            }
        }

        return null;
    }

    /// <summary>Printable ASCII: what Kestrel accepts in a User-Agent header, so anything else could never match one.</summary>
    public static RuleError? BlockUserAgentValue(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return new RuleError("value", "must not be empty (a substring of the User-Agent to block)");
        }

        if (value.Length > MaxUserAgentLength)
        {
            return new RuleError("value", $"{RuleText.Quote(value)} is {value.Length} characters long; a User-Agent substring is at most {MaxUserAgentLength}");
        }

        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return new RuleError("value", $"{RuleText.Quote(value)} holds a control or non-ASCII character; a User-Agent substring is printable ASCII");
            }
        }

        return null;
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
