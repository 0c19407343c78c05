using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>A forwarding failure that our own response copy detected, reported as YARP reports its own.</summary>
internal sealed class ForwarderFailure(ForwarderError error, Exception? exception) : IForwarderErrorFeature
{
    public ForwarderError Error { get; } = error;

    public Exception? Exception { get; } = exception;
}
