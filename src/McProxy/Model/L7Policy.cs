namespace McProxy.Model;

/// <summary>An L7 policy of a route, checked by <see cref="PolicyRules"/>: "block_user_agent" or "require_header" and its value.</summary>
internal sealed record L7Policy(string Type, string Value);
