using System.Net.Security;

namespace McProxy.Routing.Pools;

/// <summary>One pool's active check: what to do against each member.</summary>
/// <param name="Kind">TCP connect, or an HTTP GET.</param>
/// <param name="Path">HTTP: the path to GET ("/healthz").</param>
/// <param name="Host">HTTP: the Host header, and the TLS server name (the route's hostname).</param>
/// <param name="Protocol">HTTP: the route's backend protocol.</param>
/// <param name="ValidateCertificate">TLS: decides whether the backend's certificate is accepted (the route's backend_ca policy).</param>
internal sealed record HealthCheck(
    HealthCheckKind Kind,
    string Path = "/",
    string Host = "",
    BackendProtocol Protocol = BackendProtocol.Http1,
    RemoteCertificateValidationCallback? ValidateCertificate = null)
{
    public static readonly HealthCheck Tcp = new(HealthCheckKind.Tcp);

    public static HealthCheck Http(string path, string host, BackendProtocol protocol, RemoteCertificateValidationCallback? validateCertificate = null) =>
        new(HealthCheckKind.Http, path, host, protocol, validateCertificate);
}
