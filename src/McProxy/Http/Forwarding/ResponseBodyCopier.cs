using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace McProxy.Http.Forwarding;

/// <summary>
/// Copies a response body from the backend to the client in place of YARP's copy. YARP reads into a 64 KiB array
/// it rents per response and holds while its write waits for the client: a client that stops reading (a slow-read
/// attack) kept that array and Kestrel's copy of up to 64 KiB. Here the backend is read at most
/// <see cref="ChunkSize"/> at a time, into a pooled buffer rented only once the backend has data (a zero-byte read
/// first), copied into Kestrel's output and returned, then flushed before the next read: the flush waits while the
/// client does not read, so a blocked client holds Kestrel's copy of one chunk, none here, and the backend is not
/// read meanwhile. Flushing per read keeps streams (server-sent events, long polls) live. (Reading the backend
/// straight into Kestrel's <c>BodyWriter</c> memory with GetMemory/Advance/FlushAsync instead would save the copy,
/// but made HTTP/1.1 downloads through TLS some 20 times slower here; HTTP/2 was not affected.)
/// <para>
/// Used for requests without a body only (a GET, a HEAD): YARP's activity timeout runs from the response headers
/// on and is reset only by YARP's own copies, so a request body still being sent would be cut at
/// <c>idle_timeout</c> however busy the response. With no request body nothing else waits on that timer; this copy
/// keeps its own, as YARP's copy does: <c>idle_timeout</c> without a byte read from the backend or taken by the
/// client ends the response. Upgrades (WebSocket) and requests with bodies (uploads, gRPC) keep YARP's copy.
/// </para>
/// <para>
/// Failures end as YARP ends them: the error (<see cref="ForwarderError.ResponseBodyDestination"/> when the backend
/// failed or stalled, <see cref="ForwarderError.ResponseBodyClient"/> when the client stalled,
/// <see cref="ForwarderError.ResponseBodyCanceled"/> when it left) is set for the access log, a response not yet
/// started becomes 502, a started one is reset (HTTP/2) or its connection aborted (HTTP/1.1) so that the client
/// does not take a truncated body for a whole one. Trailers are copied after the body.
/// </para>
/// </summary>
internal sealed partial class ResponseBodyCopier(TimeSpan activityTimeout, ILogger logger)
{
    /// <summary>
    /// The most read from the backend per flush: what a blocked client holds in Kestrel's output, which copies it.
    /// A quarter of YARP's 64 KiB; a large download costs the same CPU per byte as with YARP's copy (measured:
    /// 64 MiB over HTTP/1.1 and HTTP/2, same machine, same run).
    /// </summary>
    private const int ChunkSize = 16 * 1024;

    /// <summary>HTTP/2 RST_STREAM codes (RFC 9113 §7).</summary>
    private const int Http2InternalError = 0x2;
    private const int Http2Cancel = 0x8;

    /// <summary>Whether this copy takes <paramref name="response"/>'s body (see the class remarks), or YARP's does.</summary>
    public static bool Applies(HttpContext context, HttpResponseMessage response)
    {
        if (response.StatusCode == HttpStatusCode.SwitchingProtocols
            || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true)
        {
            return false;
        }

        return context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false;
    }

    /// <summary>Copies the body, then the trailers. Never throws: a failure is recorded and ends the response.</summary>
    public async ValueTask CopyAsync(HttpContext context, HttpResponseMessage response, HttpTransformer transformer)
    {
        using var activity = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        activity.CancelAfter(activityTimeout);
        var token = activity.Token;
        var output = context.Response;
        var reading = true;
        try
        {
            var source = await response.Content.ReadAsStreamAsync(token);
            while (true)
            {
                reading = true;
                // Holds no buffer while the backend is silent: it is rented once data is there.
                _ = await source.ReadAsync(Memory<byte>.Empty, token);
                var chunk = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int read;
                var started = output.HasStarted;
                try
                {
                    read = await source.ReadAsync(chunk.AsMemory(0, ChunkSize), token);
                    if (read > 0)
                    {
                        activity.CancelAfter(activityTimeout);
                        reading = false;
                        if (started)
                        {
                            // Kestrel's output takes a copy at once: the chunk goes back before the flush waits, so
                            // a client that reads nothing holds no chunk here.
                            output.BodyWriter.Write(chunk.AsSpan(0, read));
                        }
                        else
                        {
                            // The first write sends the headers with the data (an HTTP/1.1 response not yet
                            // started has no output memory to write into): the chunk waits for that flush.
                            await output.Body.WriteAsync(chunk.AsMemory(0, read), token);
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk);
                }

                if (read == 0)
                {
                    break;
                }

                if (started)
                {
                    // Waits while the client does not read, and only then is the backend read again.
                    var flushed = await output.BodyWriter.FlushAsync(token);
                    if (flushed.IsCanceled)
                    {
                        throw new OperationCanceledException(token);
                    }
                }

                activity.CancelAfter(activityTimeout);
            }

            await transformer.TransformResponseTrailersAsync(context, response, token);
        }
        catch (Exception e)
        {
            Fail(context, reading, e);
        }
    }

    private void Fail(HttpContext context, bool reading, Exception exception)
    {
        var error = context.RequestAborted.IsCancellationRequested ? ForwarderError.ResponseBodyCanceled
            : reading ? ForwarderError.ResponseBodyDestination
            : ForwarderError.ResponseBodyClient;
        context.Features.Set<IForwarderErrorFeature>(new ForwarderFailure(error, exception));
        if (error == ForwarderError.ResponseBodyDestination)
        {
            Log.BackendBodyFailed(logger, exception.Message);
        }
        else
        {
            Log.ClientBodyFailed(logger, error, exception.Message);
        }

        var response = context.Response;
        if (!response.HasStarted)
        {
            response.Clear();
            response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset(error == ForwarderError.ResponseBodyCanceled ? Http2Cancel : Http2InternalError);
            return;
        }

        context.Abort();
    }

    private static partial class Log
    {
        [LoggerMessage(313, LogLevel.Warning, "The backend failed while sending a response body: {Reason}", EventName = "BackendBodyFailed")]
        public static partial void BackendBodyFailed(ILogger logger, string reason);

        [LoggerMessage(314, LogLevel.Debug, "Response body not delivered ({Error}): {Reason}", EventName = "ClientBodyFailed")]
        public static partial void ClientBodyFailed(ILogger logger, ForwarderError error, string reason);
    }
}
