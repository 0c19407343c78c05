namespace McProxy.Tls;

internal readonly record struct HelloParseResult(HelloParseStatus Status, ClientHelloInfo Hello, string? Error)
{
    public static HelloParseResult Incomplete => default;

    public static HelloParseResult Invalid(string error) => new(HelloParseStatus.Invalid, default, error);
}
