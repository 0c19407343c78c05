using System.Net;

namespace McProxy.Examples.DemoBackend;

/// <summary>
/// The command line: <c>--listen 127.0.0.1:PORT --cert FILE.pem --key FILE.key --name NAME</c>, all required; or
/// <c>--listen 127.0.0.1:PORT --plain --name NAME</c> for a plaintext HTTP/1.1 backend behind an L7 route.
/// </summary>
internal sealed record BackendOptions
{
    public const string Usage = "usage: DemoBackend --listen 127.0.0.1:PORT (--cert FILE.pem --key FILE.key | --plain) --name NAME";

    public required IPEndPoint Listen { get; init; }
    /// <summary>Empty with <c>--plain</c>.</summary>
    public required string CertPath { get; init; }
    public required string KeyPath { get; init; }
    public bool Plain => CertPath.Length == 0;
    public required string Name { get; init; }

    public static BackendOptions? Parse(IReadOnlyList<string> args, List<string> errors)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var plain = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--plain")
            {
                plain = true;
            }
            else if (args[i] is not ("--listen" or "--cert" or "--key" or "--name"))
            {
                errors.Add($"unknown argument \"{args[i]}\"");
            }
            else if (i + 1 >= args.Count)
            {
                errors.Add($"{args[i]} needs a value");
            }
            else
            {
                values[args[i]] = args[++i];
            }
        }

        foreach (var required in plain ? new[] { "--listen", "--name" } : new[] { "--listen", "--cert", "--key", "--name" })
        {
            if (!values.ContainsKey(required))
            {
                errors.Add($"{required} is required");
            }
        }

        // An explicit address and port, never a wildcard default: this server is meant for loopback only.
        IPEndPoint? listen = null;
        if (values.TryGetValue("--listen", out var listenText) && !IPEndPoint.TryParse(listenText, out listen))
        {
            errors.Add($"--listen \"{listenText}\" is not an IP:PORT such as 127.0.0.1:9101");
        }

        if (errors.Count > 0 || listen is null)
        {
            return null;
        }

        return new BackendOptions
        {
            Listen = listen,
            CertPath = plain ? "" : values["--cert"],
            KeyPath = plain ? "" : values["--key"],
            Name = values["--name"],
        };
    }
}
