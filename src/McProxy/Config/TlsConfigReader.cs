using System.Security.Authentication;
using McProxy.Net;

namespace McProxy.Config;

/// <summary>Reads the optional [tls] section; every bad value is reported with its key, unknown keys are refused.</summary>
internal static class TlsConfigReader
{
    public static TlsConfig Read(TomlSection root)
    {
        var section = root.GetTable("tls");
        if (section is null)
        {
            return new TlsConfig();
        }

        var defaults = new TlsConfig();
        var minVersion = defaults.MinVersion;
        switch (section.GetString("min_version"))
        {
            case null:
                break;
            case "1.2":
                minVersion = SslProtocols.Tls12;
                break;
            case "1.3":
                minVersion = SslProtocols.Tls13;
                break;
            case var other:
                section.Error("min_version", $"{RuleText.Quote(other)} is not \"1.2\" or \"1.3\"");
                break;
        }

        // Absent means on: GetBool alone reads a missing key as false.
        var sessionTickets = section.Has("session_tickets") ? section.GetBool("session_tickets") : defaults.SessionTickets;
        section.ReportUnknownKeys();
        return new TlsConfig { MinVersion = minVersion, SessionTickets = sessionTickets };
    }
}
