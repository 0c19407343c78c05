using System.Net.Sockets;
using System.Text;
using McProxy.Net;

namespace McProxy.Routing.Pools;

/// <summary>Words for why a check failed, for the "down after 3 failed checks: connection refused" line.</summary>
internal static class ProbeFailure
{
    public static string Describe(SocketException e) => Words(e.SocketErrorCode.ToString());

    public static string Describe(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return Describe(socket);
            }
        }

        return e.HttpRequestError != HttpRequestError.Unknown ? Words(e.HttpRequestError.ToString()) : RuleText.Clip(e.Message);
    }

    /// <summary>"ConnectionRefused" -> "connection refused".</summary>
    private static string Words(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
