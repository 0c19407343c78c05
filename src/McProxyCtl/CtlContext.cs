namespace McProxyCtl;

/// <summary>What a command writes to and reads from: the seam tests use instead of the console and the process environment.</summary>
internal sealed class CtlContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    public Func<string, string?> Environment { get; } = environment;
}
