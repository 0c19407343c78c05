using McProxy.Http.Forwarding;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Http;

/// <summary>backend_ca is re-read when its file changes, and a bad file never replaces a good bundle.</summary>
[UnitTest]
public sealed class BackendCaTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();
    private readonly TestCertificates _first = new("first backend CA");
    private readonly TestCertificates _second = new("second backend CA");
    private readonly TestLog _log = new();
    private readonly FileWatcher _files;

    public BackendCaTests() => _files = new FileWatcher(FileWatcher.DefaultInterval, _log.CreateLogger("McProxy.Server"));

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string Path => System.IO.Path.Combine(_directory, "backend-ca.pem");

    private void Write(string pem, int minutesLater)
    {
        File.WriteAllText(Path, pem);
        File.SetLastWriteTimeUtc(Path, DateTime.UtcNow.AddMinutes(minutesLater));
    }

    private ILogger Logger => _log.CreateLogger("McProxy.L7");

    [Fact]
    public void Roots_FileReplaced_NextHandshakeAfterTheWatchersTickTrustsTheNewBundle()
    {
        Write(_first.Ca.ExportCertificatePem(), 0);
        var ca = new BackendCa(Path, _files, Logger);
        Assert.Equal(_first.Ca.Thumbprint, Assert.Single(ca.Roots).Thumbprint);

        // A rotation: the new CA beside the old, as an operator stages it.
        Write(_second.Ca.ExportCertificatePem() + "\n" + _first.Ca.ExportCertificatePem(), 1);

        // A handshake reads the bundle in memory: the file is read at the watcher's tick, not before.
        Assert.Equal(_first.Ca.Thumbprint, Assert.Single(ca.Roots).Thumbprint);
        _files.CheckNow();
        Assert.Equal([_second.Ca.Thumbprint, _first.Ca.Thumbprint], ca.Roots.Select(c => c.Thumbprint));
        Assert.Contains(_log.Entries, e => e.Message.Contains("reloaded: 2 certificate(s)", StringComparison.Ordinal));
    }

    [Fact]
    public void Roots_BadReplacement_KeepsTheLastGoodBundle_AndLogsOnce()
    {
        Write(_first.Ca.ExportCertificatePem(), 0);
        var ca = new BackendCa(Path, _files, Logger);

        Write("-----BEGIN CERTIFICATE-----\nhalf a file", 1);

        _files.CheckNow();
        Assert.Equal(_first.Ca.Thumbprint, Assert.Single(ca.Roots).Thumbprint);
        _files.CheckNow();
        Assert.Equal(_first.Ca.Thumbprint, Assert.Single(ca.Roots).Thumbprint);
        Assert.Single(_log.Entries, e => e.Message.Contains("cannot be used", StringComparison.Ordinal));

        Write(_second.Ca.ExportCertificatePem(), 2);
        _files.CheckNow();
        Assert.Equal(_second.Ca.Thumbprint, Assert.Single(ca.Roots).Thumbprint);
    }

    [Fact]
    public void Constructor_FileWithoutCertificates_FailsNamingTheKey()
    {
        Write("not a certificate", 0);

        var error = Assert.Throws<InvalidOperationException>(() => new BackendCa(Path, _files, Logger));

        Assert.Contains("backend_ca", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _files.Count);
    }
}
