using McProxyCtl;

namespace McProxy.Tests.Ctl;

/// <summary>One in-process mcproxyctl invocation: its exit code and what it wrote to each stream.</summary>
internal sealed record CtlRun(int ExitCode, string Out, string Error)
{
    public static async Task<CtlRun> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var context = new CtlContext(stdout, stderr, name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);
        var code = await CtlCli.RunAsync(args, context, CancellationToken.None);
        return new CtlRun(code, stdout.ToString(), stderr.ToString());
    }

    public static Task<CtlRun> RunAsync(params string[] args) => RunAsync(null, args);
}
