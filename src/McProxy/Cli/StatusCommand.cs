using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Health.V1;
using McProxy.Client;
using McProxy.Config;
using McProxy.Net;

namespace McProxy.Cli;

/// <summary>
/// `mc-proxy status -c FILE`: asks the running server, through the [grpc] endpoint the config names, for its health and
/// status. Over TCP it trusts --ca, or else exactly the server's own tls_cert from the config; with mTLS it needs --cert/--key.
/// </summary>
internal sealed class StatusCommand : Command
{
    public StatusCommand(TextWriter stdout, TextWriter stderr)
        : base("status", "Query a running instance's health via gRPC")
    {
        var configOption = McProxyCli.ConfigOption();
        var ca = new Option<string?>("--ca") { Description = "PEM CA that signed the admin certificate (default: trust exactly [grpc] tls_cert)" };
        var cert = new Option<string?>("--cert") { Description = "PEM client certificate, when [grpc] client_ca is set" };
        var key = new Option<string?>("--key") { Description = "PEM key of --cert" };
        Options.Add(configOption);
        Options.Add(ca);
        Options.Add(cert);
        Options.Add(key);
        SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(configOption), result.GetValue(ca), result.GetValue(cert), result.GetValue(key), stdout, stderr, cancellationToken));
    }

    private static async Task<int> RunAsync(string configPath, string? ca, string? cert, string? key, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (await McProxyCli.LoadConfigAsync(configPath, stderr, loadFiles: false) is not { } config)
        {
            return ExitCodes.BadConfig;
        }

        if (config.Grpc is not { } grpc)
        {
            await stderr.WriteLineAsync("mc-proxy: status asks the running server through [grpc], and the config has none");
            return ExitCodes.BadConfig;
        }

        McProxyClient client;
        try
        {
            client = Connect(grpc, ca, cert, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            await stderr.WriteLineAsync($"mc-proxy: cannot load the TLS files: {e.Message}");
            return ExitCodes.BadConfig;
        }

        using (client)
        {
            try
            {
                var health = await client.CheckHealthAsync(cancellationToken);
                var status = await client.GetStatusAsync(cancellationToken);
                await stdout.WriteLineAsync($"health: {health}");
                await stdout.WriteLineAsync(StatusText.Summary(status));
                foreach (var listener in status.Listeners)
                {
                    await stdout.WriteLineAsync(StatusText.Listener(listener));
                }

                return health == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Success : ExitCodes.Failed;
            }
            catch (RpcException e)
            {
                await stderr.WriteLineAsync($"mc-proxy: server at {grpc.Addr} unreachable: {e.Status.Detail} ({e.StatusCode})");
                return ExitCodes.Unreachable;
            }
        }
    }

    private static McProxyClient Connect(GrpcConfig grpc, string? ca, string? cert, string? key)
    {
        if (grpc.IsUnixSocket)
        {
            return McProxyClient.ForUnixSocket(grpc.UnixSocketPath);
        }

        if (!HostPort.TryParse(grpc.Addr, allowEmptyHost: true, out var hostPort, out var error))
        {
            throw new ArgumentException($"[grpc] addr: {error}");
        }

        // A server bound to every interface is asked on loopback.
        var host = hostPort.Host is "" or "0.0.0.0" ? "127.0.0.1" : hostPort.Host is "::" ? "::1" : hostPort.Host;
        var address = new HostPort(host, hostPort.Port).ToString();
        if (ca is not null)
        {
            return McProxyClient.ForAddress(address, ca, cert, key);
        }

        var options = new McProxyClientOptions { AllowPinnedCertificateForAnyName = true };
        var pinned = new X509Certificate2Collection();
        pinned.ImportFromPemFile(grpc.TlsCert);
        foreach (var certificate in pinned)
        {
            options.TrustedCertificates.Add(certificate);
        }

        if (cert is not null || key is not null)
        {
            options.ClientCertificate = X509Certificate2.CreateFromPemFile(cert ?? throw new ArgumentException("--key needs --cert"), key ?? throw new ArgumentException("--cert needs --key"));
        }

        return McProxyClient.ForAddress(address, options);
    }
}
