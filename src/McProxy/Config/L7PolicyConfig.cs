namespace McProxy.Config;

internal sealed record L7PolicyConfig(string Type, string Value)
{
    public const string BlockUserAgent = "block_user_agent";
    public const string RequireHeader = "require_header";

    public static bool IsKnownType(string type) => type is BlockUserAgent or RequireHeader;
}
