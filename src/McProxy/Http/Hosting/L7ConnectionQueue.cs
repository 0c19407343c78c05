using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;

namespace McProxy.Http.Hosting;

/// <summary>
/// Kestrel's transport for L7: the proxy listeners enqueue each L7 connection after its route lookup, and the
/// listener Kestrel binds on <see cref="L7EndPoint"/> yields them from <c>AcceptAsync</c>. This replaces the
/// socket transport (the way Kestrel's in-memory test transport does), so no loopback hop, no port of its own.
/// </summary>
internal sealed class L7ConnectionQueue : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly Channel<L7Connection> _pending = Channel.CreateUnbounded<L7Connection>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
    });

    /// <summary>Hands a connection to Kestrel; false once the L7 host has stopped accepting.</summary>
    public bool TryHandOff(L7Connection connection) => _pending.Writer.TryWrite(connection);

    public bool CanBind(EndPoint endpoint) => endpoint is L7EndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not L7EndPoint)
        {
            throw new NotSupportedException($"the L7 transport binds only {L7EndPoint.Instance}, not {endpoint}");
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(_pending));
    }

    private sealed class Listener(Channel<L7Connection> pending) : IConnectionListener
    {
        public EndPoint EndPoint => L7EndPoint.Instance;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await pending.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                // Null tells Kestrel the listener is unbound.
                return null;
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            pending.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            pending.Writer.TryComplete();
            // Handed over but never accepted: let their owners close them.
            while (pending.Reader.TryRead(out var connection))
            {
                connection.Abort(new ConnectionAbortedException("the L7 host stopped"));
                connection.Reject();
            }

            return ValueTask.CompletedTask;
        }
    }
}
