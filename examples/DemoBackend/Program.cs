using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace McProxy.Examples.DemoBackend;

/// <summary>
/// A tiny HTTPS backend for <c>make devserver</c>. mc-proxy relays L4 routes with TLS untouched, so this server
/// terminates TLS itself and says what it saw: its own name, the Host header, the SNI of the handshake and the
/// HTTP version. That one line shows which route the proxy chose and that the ClientHello arrived intact.
/// With <c>--plain</c> it is the backend of an L7 route instead: plaintext HTTP/1.1, answering with the forwarding
/// headers the proxy set.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var errors = new List<string>();
        var options = BackendOptions.Parse(args, errors);
        if (options is null)
        {
            foreach (var error in errors)
            {
                Console.Error.WriteLine($"DemoBackend: {error}");
            }

            Console.Error.WriteLine(BackendOptions.Usage);
            return 2;
        }

        using var certificate = options.Plain ? null : LoadCertificate(options);
        if (certificate is null && !options.Plain)
        {
            return 1;
        }

        // Not passed the args: the host's command-line configuration would read --listen and friends as its own keys.
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Listen, listen =>
        {
            if (certificate is null)
            {
                // Behind an L7 route: the proxy terminated TLS and speaks plaintext HTTP/1.1 to this backend.
                listen.Protocols = HttpProtocols.Http1;
                return;
            }

            // Both versions, chosen by ALPN, as a real backend behind the proxy would offer them.
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            // Kestrel records the SNI in ITlsHandshakeFeature.HostName only when a selector picks the certificate.
            listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificate);
        }));

        var app = builder.Build();
        app.Run(context =>
        {
            var host = context.Request.Host.HasValue ? context.Request.Host.Value : "(no Host header)";
            var protocol = context.Request.Protocol;
            context.Response.ContentType = "text/plain; charset=utf-8";
            if (certificate is null)
            {
                // What an L7 route adds: the real client address, whatever the client claimed.
                var forwardedFor = context.Request.Headers["X-Forwarded-For"].ToString();
                var realIp = context.Request.Headers["X-Real-IP"].ToString();
                var proto = context.Request.Headers["X-Forwarded-Proto"].ToString();
                Console.WriteLine($"{options.Name}: {context.Request.Method} {context.Request.Path} host={host} xff={forwardedFor} {protocol}");
                return context.Response.WriteAsync(
                    $"hello from {options.Name}: you asked for {host} over {protocol}; "
                    + $"X-Forwarded-For={forwardedFor} X-Real-IP={realIp} X-Forwarded-Proto={proto}\n");
            }

            var sni = context.Features.Get<ITlsHandshakeFeature>()?.HostName;
            if (string.IsNullOrEmpty(sni))
            {
                sni = "none";
            }

            Console.WriteLine($"{options.Name}: {context.Request.Method} {context.Request.Path} host={host} sni={sni} {protocol}");
            return context.Response.WriteAsync($"hello from {options.Name}: you asked for {host} (SNI {sni}) over {protocol}\n");
        });

        Console.WriteLine($"{options.Name}: listening on {(options.Plain ? "http" : "https")}://{options.Listen}");
        app.Run();
        return 0;
    }

    private static X509Certificate2? LoadCertificate(BackendOptions options)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(options.CertPath, options.KeyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            Console.Error.WriteLine($"DemoBackend: cannot load --cert {options.CertPath} with --key {options.KeyPath}: {e.Message}");
            return null;
        }
    }
}
