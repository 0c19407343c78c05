using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// YARP's default request and response copying (hop-by-hop headers dropped, trailers kept), plus the forwarding
/// headers from what the proxy knows rather than what the client says. Client-supplied <c>X-Forwarded-*</c>,
/// <c>X-Real-IP</c> and <c>Forwarded</c> are removed; <c>X-Forwarded-For</c> and <c>X-Real-IP</c> are the real
/// client address (the PROXY header's source when there is one), <c>X-Forwarded-Proto</c> is https. Nothing is
/// appended to a client's list: this proxy is the edge that the backend trusts, so the list starts here. The
/// original Host (the name the client asked for) is kept, as the backend's virtual hosting needs it. The response
/// body of a request without one is copied by <see cref="ResponseBodyCopier"/>, not by YARP.
/// </summary>
internal sealed class ForwardedHeadersTransformer(ResponseBodyCopier bodyCopier) : HttpTransformer
{
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";
    private const string XRealIp = "X-Real-IP";
    private const string Forwarded = "Forwarded";
    private const string HostHeader = "Host";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var headers = proxyRequest.Headers;
        headers.Remove(XForwardedFor);
        headers.Remove(XForwardedProto);
        headers.Remove(XForwardedHost);
        headers.Remove(XRealIp);
        headers.Remove(Forwarded);

        var client = httpContext.Features.GetRequiredFeature<IL7RouteFeature>().ClientAddress;
        headers.TryAddWithoutValidation(XForwardedFor, client);
        headers.TryAddWithoutValidation(XRealIp, client);
        headers.TryAddWithoutValidation(XForwardedProto, "https");
        // Kestrel has validated the Host it received; parsing it again into the typed property costs per request.
        headers.Remove(HostHeader);
        if (httpContext.Request.Host.Value is { Length: > 0 } host)
        {
            headers.TryAddWithoutValidation(HostHeader, host);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        // Without a response (YARP's own error answers), the base copies nothing and says so.
        if (!await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken) || proxyResponse is null)
        {
            return false;
        }

        if (!ResponseBodyCopier.Applies(httpContext, proxyResponse))
        {
            return true;
        }

        // Status and headers are set; the body and trailers are copied here, and YARP copies nothing more.
        await bodyCopier.CopyAsync(httpContext, proxyResponse, this);
        return false;
    }
}
