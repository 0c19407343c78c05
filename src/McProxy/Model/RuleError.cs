namespace McProxy.Model;

/// <summary>
/// One broken rule: the field it is about, as the caller's input names it ("hostname", "tls_key", "value"), and what
/// is wrong. The config reader prefixes the field with its section's path; the admin API with the message's field
/// ("route.hostname") and answers InvalidArgument.
/// </summary>
internal readonly record struct RuleError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}
