using Grpc.Core;

namespace McProxy.Admin;

/// <summary>The admin API's error answers: a gRPC status whose message starts with the field it is about.</summary>
internal static class AdminErrors
{
    public static RpcException InvalidArgument(string field, string message) => new(new Status(StatusCode.InvalidArgument, $"{field}: {message}"));

    public static RpcException NotFound(string field, string message) => new(new Status(StatusCode.NotFound, $"{field}: {message}"));

    public static RpcException AlreadyExists(string field, string message) => new(new Status(StatusCode.AlreadyExists, $"{field}: {message}"));

    public static RpcException FailedPrecondition(string field, string message) => new(new Status(StatusCode.FailedPrecondition, $"{field}: {message}"));
}
