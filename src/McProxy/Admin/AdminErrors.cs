using Grpc.Core;
using McProxy.Routing;

namespace McProxy.Admin;

/// <summary>The admin API's error answers: a gRPC status whose message starts with the field it is about.</summary>
internal static class AdminErrors
{
    public static RpcException InvalidArgument(string field, string message) => new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"));

    public static RpcException NotFound(string field, string message) => new(new Status(StatusCode.NotFound, $"{field}: {message}"));

    public static RpcException AlreadyExists(string field, string message) => new(new Status(StatusCode.AlreadyExists, $"{field}: {message}"));

    public static RpcException FailedPrecondition(string field, string message) => new(new Status(StatusCode.FailedPrecondition, $"{field}: {message}"));

    /// <summary>A change the routing state refused, as the status it stands for; a store failure is Internal.</summary>
    public static RpcException From(RoutingException refusal) => refusal.Error switch
    {
        RoutingError.NotFound => NotFound(refusal.Field, refusal.Message),
        RoutingError.AlreadyExists => AlreadyExists(refusal.Field, refusal.Message),
        RoutingError.FailedPrecondition => FailedPrecondition(refusal.Field, refusal.Message),
        _ => new(new Status(StatusCode.Internal, $"store: {refusal.Message}")),
    };
}
