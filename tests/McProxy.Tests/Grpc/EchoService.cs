using Grpc.Core;

namespace McProxy.Tests.Grpc;

/// <summary>The backend side of echo.proto; every call also sets an "x-served-by" trailer.</summary>
public sealed class EchoService : Echo.EchoBase
{
    public override Task<EchoReply> Unary(EchoRequest request, ServerCallContext context)
    {
        FailIfAsked(request, context);
        context.ResponseTrailers.Add("x-served-by", "echo");
        return Task.FromResult(new EchoReply { Text = request.Text, ForwardedFor = ForwardedFor(context) });
    }

    public override async Task ServerStream(EchoRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(new EchoReply { Text = $"{request.Text}-{i}", Index = i }, context.CancellationToken);
        }

        FailIfAsked(request, context);
        context.ResponseTrailers.Add("x-served-by", "echo");
    }

    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var texts = new List<string>();
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            texts.Add(request.Text);
        }

        context.ResponseTrailers.Add("x-served-by", "echo");
        return new EchoReply { Text = string.Join(",", texts), Index = texts.Count };
    }

    public override async Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        var index = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            FailIfAsked(request, context);
            await responseStream.WriteAsync(new EchoReply { Text = request.Text.ToUpperInvariant(), Index = index++ }, context.CancellationToken);
        }

        context.ResponseTrailers.Add("x-served-by", "echo");
    }

    private static string ForwardedFor(ServerCallContext context) => context.RequestHeaders.GetValue("x-forwarded-for") ?? "";

    private static void FailIfAsked(EchoRequest request, ServerCallContext context)
    {
        if (request.FailWith.Length > 0)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, request.FailWith), new Metadata { { "x-reason", "asked to fail" } });
        }
    }
}
