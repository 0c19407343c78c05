using System.Net;
using McProxy.Firewall;
using McProxy.Net;
using McProxy.ProxyProtocol;
using McProxy.Routing;

namespace McProxy.Listener;

internal sealed partial class ProxyConnection
{
    /// <summary>
    /// The limits (listener and global max_connections), then on a PROXY listener the peer's trust and its header
    /// (which may name the real client), then the firewall on the real client. Nothing is read before the limits
    /// and the trust check pass; a refused connection is reset (SO_LINGER 0) and sent nothing.
    /// </summary>
    private async ValueTask<Admission> AdmitAsync()
    {
        // One deadline covers the PROXY header and the ClientHello (hello_timeout). It is written before the
        // connection is tracked: the sweeper may check it the moment it is, and an unwritten deadline (0) has passed.
        EnterPhase(PhaseHandshake, _services.HelloTimeoutMs);
        if (!TryTrack())
        {
            Reset(_client);
            return new Admission(new ConnectionResult(ConnectionOutcome.Limit));
        }

        ProxyHeaderReadResult? proxyHeader = null;
        if (_listener.Listener.ProxyProtocol)
        {
            if (!_listener.IsTrustedProxy(ClientEndPoint.Address))
            {
                _services.Metrics.FirewallBlocks.WithLabels(FirewallReason.UntrustedProxy).Inc();
                Reset(_client);
                return new Admission(new ConnectionResult(ConnectionOutcome.UntrustedProxy, "peer is not in trusted_proxies"));
            }

            var read = await ProxyHeaderReader.ReadAsync(_client);
            if (read.Header is null)
            {
                Reset(_client);
                return new Admission(new ConnectionResult(ConnectionOutcome.BadProxyHeader, $"peer {ClientEndPoint}: {read.Error}"), read);
            }

            if (read.Header.Command == ProxyCommand.Proxy && read.Header.Source is { } source)
            {
                // LOCAL (a health check) and UNKNOWN carry no client: the peer stays the client.
                ClientEndPoint = new IPEndPoint(IpRanges.Normalize(source.Address), source.Port);
            }

            proxyHeader = read;
        }

        if (_services.Firewall.Check(ClientEndPoint.Address) is { } blocked)
        {
            _services.Metrics.FirewallBlocks.WithLabels(blocked).Inc();
            Reset(_client);
            return new Admission(new ConnectionResult(BlockedOutcome(blocked)), proxyHeader);
        }

        return new Admission(null, proxyHeader);
    }

    /// <summary>Counts the connection in its listener's and the global limit; false (nothing counted) over either.</summary>
    private bool TryTrack()
    {
        if (!_listener.TryEnter())
        {
            return false;
        }

        if (!_services.Tracker.TryAdd(this))
        {
            _listener.Exit();
            return false;
        }

        _tracked = true;
        return true;
    }

    /// <summary>The access line's outcome for a firewall block of <paramref name="reason"/> (a <see cref="FirewallReason"/>).</summary>
    private static string BlockedOutcome(string reason) => reason switch
    {
        FirewallReason.Ip => ConnectionOutcome.BlockedIp,
        FirewallReason.Cidr => ConnectionOutcome.BlockedCidr,
        FirewallReason.Country => ConnectionOutcome.BlockedCountry,
        FirewallReason.Rate => ConnectionOutcome.BlockedRate,
        FirewallReason.UntrustedProxy => ConnectionOutcome.UntrustedProxy,
        _ => "blocked_" + reason,
    };
}
