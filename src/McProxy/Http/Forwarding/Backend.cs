using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>Where and how one route's requests are forwarded.</summary>
internal sealed record Backend(string DestinationPrefix, HttpMessageInvoker Client, ForwarderRequestConfig Config);
