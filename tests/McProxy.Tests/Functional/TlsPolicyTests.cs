using System.Net;
using System.Text.RegularExpressions;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Functional;

/// <summary>
/// [tls] (SPEC §3) as a client sees it, with `openssl s_client`: TLS 1.2 offers ECDHE with AES-GCM and
/// CHACHA20-POLY1305 only (no CBC, no RSA key exchange), min_version = "1.3" refuses TLS 1.2, session_tickets
/// turns resumption on and off; on L7 routes (an RSA and an ECDSA certificate) and the admin API's TLS endpoint.
/// </summary>
public sealed partial class TlsPolicyTests : IAsyncLifetime
{
    private const string RsaHost = "rsa.example.test";
    private const string EcdsaHost = "ecdsa.example.test";

    private readonly TestCertificates _certs = new();
    private string _directory = null!;
    private (string Cert, string Key) _rsa;
    private (string Cert, string Key) _ecdsa;

    public Task InitializeAsync()
    {
        _directory = TestProxy.CreateTempDirectory();
        _rsa = PemFiles.Write(_certs.IssueRsaServer(RsaHost), _directory, "rsa");
        _ecdsa = PemFiles.Write(_certs.IssueServer(EcdsaHost), _directory, "ecdsa");
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _certs.Dispose();
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Two L7 routes (RSA and ECDSA certificates) to a backend that is never reached: only handshakes here.</summary>
    private string Config(string tls = "") => $"""
        [[listeners]]
        addr = "127.0.0.1:0"
          [[listeners.routes]]
          hostname = "{RsaHost}"
          backend = "127.0.0.1:1"
          mode = "l7"
          tls_cert = "{_rsa.Cert}"
          tls_key = "{_rsa.Key}"
          [[listeners.routes]]
          hostname = "{EcdsaHost}"
          backend = "127.0.0.1:1"
          mode = "l7"
          tls_cert = "{_ecdsa.Cert}"
          tls_key = "{_ecdsa.Key}"
        {tls}
        """;

    private static readonly (string Host, string Suite)[] RefusedTls12Suites =
    [
        // CBC with ECDHE (SHA-1 and SHA-2 MACs), the suites testssl.sh flagged (LUCKY13).
        (RsaHost, "ECDHE-RSA-AES128-SHA"),
        (RsaHost, "ECDHE-RSA-AES256-SHA"),
        (RsaHost, "ECDHE-RSA-AES128-SHA256"),
        (RsaHost, "ECDHE-RSA-AES256-SHA384"),
        (EcdsaHost, "ECDHE-ECDSA-AES128-SHA"),
        (EcdsaHost, "ECDHE-ECDSA-AES256-SHA384"),
        // RSA key exchange (no forward secrecy), GCM or CBC.
        (RsaHost, "AES128-GCM-SHA256"),
        (RsaHost, "AES256-GCM-SHA384"),
        (RsaHost, "AES128-SHA"),
        // Finite-field DHE.
        (RsaHost, "DHE-RSA-AES128-GCM-SHA256"),
    ];

    private static readonly (string Host, string Suite)[] AcceptedTls12Suites =
    [
        (RsaHost, "ECDHE-RSA-AES128-GCM-SHA256"),
        (RsaHost, "ECDHE-RSA-AES256-GCM-SHA384"),
        (RsaHost, "ECDHE-RSA-CHACHA20-POLY1305"),
        (EcdsaHost, "ECDHE-ECDSA-AES128-GCM-SHA256"),
        (EcdsaHost, "ECDHE-ECDSA-AES256-GCM-SHA384"),
        (EcdsaHost, "ECDHE-ECDSA-CHACHA20-POLY1305"),
    ];

    [Fact]
    public async Task Tls12_OffersEcdheWithAeadOnly_EveryOtherSuiteIsRefused()
    {
        await using var proxy = await TestProxy.StartAsync(Config(), _directory);

        foreach (var (host, suite) in AcceptedTls12Suites)
        {
            var handshake = await HandshakeAsync(proxy.EndPoint(), host, "-tls1_2", "-cipher", suite);
            Assert.True(handshake == ("TLSv1.2", suite), $"{host} {suite}: {handshake}");
        }

        foreach (var (host, suite) in RefusedTls12Suites)
        {
            var handshake = await HandshakeAsync(proxy.EndPoint(), host, "-tls1_2", "-cipher", suite);
            Assert.True(handshake is null, $"{host} {suite} was accepted: {handshake}");
        }

        // The server still works for a client with today's defaults.
        Assert.Equal("TLSv1.3", (await HandshakeAsync(proxy.EndPoint(), EcdsaHost))?.Protocol);
    }

    [Fact]
    public async Task MinVersion13_RefusesTls12_AndServesTls13()
    {
        await using var proxy = await TestProxy.StartAsync(Config("""
            [tls]
            min_version = "1.3"
            """), _directory);

        Assert.Null(await HandshakeAsync(proxy.EndPoint(), RsaHost, "-tls1_2"));
        Assert.Null(await HandshakeAsync(proxy.EndPoint(), EcdsaHost, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
        Assert.Equal(("TLSv1.3", "TLS_AES_256_GCM_SHA384"), await HandshakeAsync(proxy.EndPoint(), RsaHost, "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"));
        Assert.Equal(("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"), await HandshakeAsync(proxy.EndPoint(), EcdsaHost, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SessionTickets_WithMinVersion13_TurnResumptionOnAndOff(bool tickets)
    {
        await using var proxy = await TestProxy.StartAsync(Config($"""
            [tls]
            min_version = "1.3"
            session_tickets = {(tickets ? "true" : "false")}
            """), _directory);
        var session = Path.Combine(_directory, $"session-{tickets}.pem");

        // A TLS 1.3 ticket comes after the handshake: one request (answered 502, the backend is down) and the
        // server's close let s_client read it before it saves the session.
        var first = await SClientWithRequestAsync(proxy.EndPoint(), RsaHost, "-sess_out", session);
        Assert.Contains("New, TLSv1.3", first.Stdout, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 502", first.Stdout, StringComparison.Ordinal);

        var second = await SClientWithRequestAsync(proxy.EndPoint(), RsaHost, "-sess_in", session);
        Assert.Contains(tickets ? "Reused, TLSv1.3" : "New, TLSv1.3", second.Stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// TLS 1.2 resumes only on the OpenSSL context .NET shares between a certificate's connections (it holds the
    /// session cache and the ticket key): with a context per connection, as a <c>CipherSuitesPolicy</c> would bring
    /// back, the second handshake is a full one. The shared context still offers the restricted suites only: a client
    /// offering only CBC is refused, and the fallback to a policy per connection was not taken (no warning).
    /// </summary>
    [Theory]
    [InlineData(RsaHost, "ECDHE-RSA-AES128-GCM-SHA256")]
    [InlineData(EcdsaHost, "ECDHE-ECDSA-CHACHA20-POLY1305")]
    public async Task Tls12_WithDefaults_ResumesSessions_OnTheSharedContext(string host, string suite)
    {
        await using var proxy = await TestProxy.StartAsync(Config(), _directory);

        // -reconnect: one full handshake, then five more offering its session (a ticket, or its id).
        var handshakes = await SClientAsync(proxy.EndPoint(), host, "-tls1_2", "-cipher", suite, "-reconnect");
        Assert.Equal(["New", "Reused", "Reused", "Reused", "Reused", "Reused"], Sessions(handshakes.Stdout, $"TLSv1.2, Cipher is {suite}"));

        Assert.Null(await HandshakeAsync(proxy.EndPoint(), host, "-tls1_2", "-cipher", host == RsaHost ? "ECDHE-RSA-AES128-SHA" : "ECDHE-ECDSA-AES128-SHA"));
        Assert.DoesNotContain(proxy.Log.Entries, e => e.EventId == 330);
    }

    [Fact]
    public async Task SessionTicketsOff_WithDefaultMinVersion_Tls12DoesNotResume_AndStillRefusesCbc()
    {
        await using var proxy = await TestProxy.StartAsync(Config("""
            [tls]
            session_tickets = false
            """), _directory);

        var handshakes = await SClientAsync(proxy.EndPoint(), RsaHost, "-tls1_2", "-reconnect");
        Assert.Equal(["New", "New", "New", "New", "New", "New"], Sessions(handshakes.Stdout, "TLSv1.2, Cipher is "));

        Assert.Null(await HandshakeAsync(proxy.EndPoint(), RsaHost, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"));
        Assert.Equal(("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"), await HandshakeAsync(proxy.EndPoint(), RsaHost, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"));
    }

    /// <summary>
    /// Where .NET shares no context (here forced with its own switch, as a future runtime might), the proxy notices
    /// at the first connection, says so once at warning, and its connections fall back to a cipher policy each: the
    /// suites offered stay the same.
    /// </summary>
    [Fact]
    public async Task Tls12_WhenTheRuntimeSharesNoContext_FallsBackToAPolicy_AndStillRefusesCbc()
    {
        var configPath = Path.Combine(_directory, "mc-proxy.toml");
        await File.WriteAllTextAsync(configPath, $"""
            [database]
            path = "mc-proxy.db"
            {Config()}
            """);
        using var server = ServerProcess.StartWithEnvironment(
            new Dictionary<string, string> { ["DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME"] = "1" }, "server", "-c", configPath);
        var listening = await server.WaitForLineAsync(l => l.Contains("\"EventId\":10,", StringComparison.Ordinal));
        var endPoint = IPEndPoint.Parse(ListeningPattern().Match(listening).Groups[1].Value);

        Assert.Equal(("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"), await HandshakeAsync(endPoint, RsaHost, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"));
        Assert.Null(await HandshakeAsync(endPoint, RsaHost, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA"));
        Assert.Null(await HandshakeAsync(endPoint, EcdsaHost, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"));
        Assert.Equal(0, await server.TerminateAsync());

        var warning = Assert.Single(server.StdoutLines, l => l.Contains("\"EventId\":330,", StringComparison.Ordinal));
        Assert.Contains("\"LogLevel\":\"Warning\"", warning, StringComparison.Ordinal);
        Assert.Contains("do not share one OpenSSL context", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminTlsEndpoint_IsTls13Only_WithThePolicysSuites()
    {
        var admin = PemFiles.Write(_certs.IssueServer("localhost"), _directory, "admin");
        await using var proxy = await TestProxy.StartAsync(Config($"""
            [grpc]
            addr = "127.0.0.1:0"
            tls_cert = "{admin.Cert}"
            tls_key = "{admin.Key}"
            """), _directory);
        var endPoint = (IPEndPoint)proxy.Server.AdminEndPoint!;

        // min_version defaults to "1.2" for L7 routes; the admin API stays at TLS 1.3 whatever it says.
        Assert.Null(await HandshakeAsync(endPoint, "localhost", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"));
        Assert.Null(await HandshakeAsync(endPoint, "localhost", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"));
        Assert.Equal(("TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256"), await HandshakeAsync(endPoint, "localhost", "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"));
    }

    /// <summary>The negotiated protocol and cipher, or null when the handshake failed.</summary>
    private static async Task<(string Protocol, string Cipher)?> HandshakeAsync(IPEndPoint endPoint, string serverName, params string[] options)
    {
        var result = await SClientAsync(endPoint, serverName, options);
        var match = NegotiatedPattern().Match(result.Stdout);
        // The server may close the connection (without close_notify, as .NET does) while s_client still reads the
        // TLS 1.3 tickets that follow the handshake: s_client then exits 1 on the EOF, the handshake itself done.
        var closedAfterHandshake = result.ExitCode == 1 && result.Stderr.Contains("unexpected eof while reading", StringComparison.Ordinal);
        if ((result.ExitCode == 0 || closedAfterHandshake) && match.Success && match.Groups[2].Value != "(NONE)")
        {
            return (match.Groups[1].Value, match.Groups[2].Value);
        }

        Assert.False(match.Success && match.Groups[2].Value != "(NONE)", $"handshake reported but s_client failed: {result}");
        return null;
    }

    /// <summary>`openssl s_client` with no input: it handshakes, prints the session, and closes.</summary>
    private static Task<ProcessRunner.Result> SClientAsync(IPEndPoint endPoint, string serverName, params string[] options)
        => ProcessRunner.RunAsync("bash", ["-c", "openssl s_client \"$@\" </dev/null", "s_client", "-connect", endPoint.ToString(), "-servername", serverName, .. options]);

    /// <summary>`openssl s_client` sending one HTTP/1.1 request with <c>Connection: close</c>, reading until the server closes.</summary>
    private static Task<ProcessRunner.Result> SClientWithRequestAsync(IPEndPoint endPoint, string serverName, params string[] options)
        => ProcessRunner.RunAsync("bash", [
            "-c", "printf 'GET / HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' \"$1\" | openssl s_client -ign_eof -connect \"$0\" -servername \"$1\" \"${@:2}\"",
            endPoint.ToString(), serverName, .. options]);

    /// <summary>"New" or "Reused" for each handshake s_client reported, checking each line continues with <paramref name="negotiated"/>.</summary>
    private static string[] Sessions(string stdout, string negotiated)
    {
        var lines = stdout.Split('\n').Where(l => l.StartsWith("New, ", StringComparison.Ordinal) || l.StartsWith("Reused, ", StringComparison.Ordinal)).ToArray();
        Assert.All(lines, l => Assert.Contains(negotiated, l, StringComparison.Ordinal));
        return [.. lines.Select(l => l[..l.IndexOf(',', StringComparison.Ordinal)])];
    }

    [GeneratedRegex(@"""EndPoint"":""([^""]+)""")]
    private static partial Regex ListeningPattern();

    [GeneratedRegex(@"(?:New|Reused), (\S+), Cipher is (\S+)")]
    private static partial Regex NegotiatedPattern();
}
