using System.Net;
using System.Net.Sockets;
using System.Text;

namespace McProxy.ProxyProtocol;

/// <summary>
/// A parsed PROXY header: who the upstream proxy says the client is. <see cref="Source"/> is null whenever the
/// header carries no IP address (v2 LOCAL, v1 UNKNOWN, v2 AF_UNSPEC or AF_UNIX): the caller then uses the real
/// peer address. Addresses are reported as sent; an IPv4-mapped IPv6 source stays IPv6.
/// </summary>
internal sealed class ProxyHeader
{
    /// <summary>v1 "PROXY UNKNOWN": a proxy line with no usable address. Immutable, so shared.</summary>
    public static readonly ProxyHeader V1Unknown = new(1, ProxyCommand.Proxy, AddressFamily.Unspecified, null, null);

    /// <summary>v2 LOCAL: the address block and TLVs are discarded, as the spec requires.</summary>
    public static readonly ProxyHeader V2Local = new(2, ProxyCommand.Local, AddressFamily.Unspecified, null, null);

    /// <summary>v2 PROXY with AF_UNSPEC: the block is opaque and skipped whole, as HAProxy does.</summary>
    public static readonly ProxyHeader V2Unspecified = new(2, ProxyCommand.Proxy, AddressFamily.Unspecified, null, null);

    public ProxyHeader(
        int version,
        ProxyCommand command,
        AddressFamily family,
        IPEndPoint? source,
        IPEndPoint? destination,
        string? unixSource = null,
        string? unixDestination = null,
        IReadOnlyList<ProxyTlv>? tlvs = null)
    {
        Version = version;
        Command = command;
        Family = family;
        Source = source;
        Destination = destination;
        UnixSource = unixSource;
        UnixDestination = unixDestination;
        Tlvs = tlvs ?? [];
        foreach (var tlv in Tlvs)
        {
            // The first of each wins; the spec defines no meaning for repeats.
            if (tlv.Type == ProxyV2Format.TypeAuthority && Authority is null)
            {
                Authority = Encoding.UTF8.GetString(tlv.Value);
            }
            else if (tlv.Type == ProxyV2Format.TypeAlpn && Alpn is null)
            {
                Alpn = Encoding.UTF8.GetString(tlv.Value);
            }
        }
    }

    public int Version { get; }

    public ProxyCommand Command { get; }

    public AddressFamily Family { get; }

    public IPEndPoint? Source { get; }

    public IPEndPoint? Destination { get; }

    public string? UnixSource { get; }

    public string? UnixDestination { get; }

    /// <summary>v2 TLVs in header order, PP2_TYPE_NOOP padding left out; empty for v1.</summary>
    public IReadOnlyList<ProxyTlv> Tlvs { get; }

    /// <summary>PP2_TYPE_AUTHORITY: the host name the client asked the upstream proxy for (its SNI).</summary>
    public string? Authority { get; }

    /// <summary>PP2_TYPE_ALPN: the application protocol, e.g. "h2".</summary>
    public string? Alpn { get; }
}
