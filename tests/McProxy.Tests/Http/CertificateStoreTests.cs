using System.Security.Cryptography.X509Certificates;
using McProxy.Http.Tls;
using McProxy.Net;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Http;

/// <summary>
/// Route certificates are read by the file watcher's tick, as a (cert, key) pair, and handshakes only read what it
/// loaded: a file replaced on disk is served after the next tick and not before.
/// </summary>
[UnitTest]
public sealed class CertificateStoreTests : IDisposable
{
    private const string Hostname = "store.example.test";

    private readonly string _directory = TestProxy.CreateTempDirectory();
    private readonly TestCertificates _certs = new();
    private readonly TestLog _log = new();
    private readonly FileWatcher _files;
    private readonly CertificateStore _store;

    public CertificateStoreTests()
    {
        _files = new FileWatcher(FileWatcher.DefaultInterval, _log.CreateLogger("McProxy.Server"));
        _store = new CertificateStore(_files, _log.CreateLogger("McProxy.L7"));
    }

    public void Dispose()
    {
        _certs.Dispose();
        _log.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Writes <paramref name="certificate"/> as the pair's files, dated <paramref name="minutesLater"/> from now.</summary>
    private (string Cert, string Key) Write(X509Certificate2 certificate, int minutesLater, string stem = "web")
    {
        var pem = PemFiles.Write(certificate, _directory, stem);
        File.SetLastWriteTimeUtc(pem.Cert, DateTime.UtcNow.AddMinutes(minutesLater));
        File.SetLastWriteTimeUtc(pem.Key, DateTime.UtcNow.AddMinutes(minutesLater));
        return pem;
    }

    private string Served((string Cert, string Key) pem) => _store.Get(pem.Cert, pem.Key).TargetCertificate.Thumbprint;

    [Fact]
    public void Get_FilesReplacedOnDisk_ServesTheOldOneUntilTheWatchersTick_ThenTheNewOne()
    {
        using var original = _certs.IssueServer(Hostname);
        using var renewed = _certs.IssueServer(Hostname);
        var pem = Write(original, 0);
        Assert.Equal(original.Thumbprint, Served(pem));

        Write(renewed, 1);

        // Handshakes read memory only: no stat, no read, so the renewal is not seen...
        Assert.Equal(original.Thumbprint, Served(pem));
        Assert.Equal(original.Thumbprint, Served(pem));
        // ...until the watcher's tick loads it.
        _files.CheckNow();
        Assert.Equal(renewed.Thumbprint, Served(pem));
        Assert.Single(_log.Entries, e => e.EventId == 300 && e.Get("Path") == pem.Cert);
        _files.CheckNow();
        Assert.Single(_log.Entries, e => e.EventId == 300);
    }

    [Fact]
    public void Refresh_RenewalCaughtBetweenItsTwoWrites_KeepsThePreviousPair_LogsOnce_AndTakesTheCompletePair()
    {
        using var original = _certs.IssueServer(Hostname);
        using var renewed = _certs.IssueServer(Hostname);
        var pem = Write(original, 0);
        _store.Watch(pem.Cert, pem.Key);

        // The new key is in place, the new certificate not yet: the pair does not match.
        var staged = PemFiles.Write(renewed, _directory, "staged");
        File.Move(staged.Key, pem.Key, overwrite: true);
        File.SetLastWriteTimeUtc(pem.Key, DateTime.UtcNow.AddMinutes(1));
        _files.CheckNow();
        _files.CheckNow();

        Assert.Equal(original.Thumbprint, Served(pem));
        Assert.Single(_log.Entries, e => e.EventId == 302);

        File.Move(staged.Cert, pem.Cert, overwrite: true);
        File.SetLastWriteTimeUtc(pem.Cert, DateTime.UtcNow.AddMinutes(2));
        _files.CheckNow();

        Assert.Equal(renewed.Thumbprint, Served(pem));
        Assert.Single(_log.Entries, e => e.EventId == 300);
    }

    [Fact]
    public void Get_PairThatDoesNotLoad_FailsNamingTheFile_IsNotRetriedPerHandshake_AndIsTakenOnceFixed()
    {
        var pem = (Cert: Path.Combine(_directory, "broken.pem"), Key: Path.Combine(_directory, "broken.key"));
        File.WriteAllText(pem.Cert, "-----BEGIN CERTIFICATE-----\nhalf a file");
        File.WriteAllText(pem.Key, "not a key");

        var first = Assert.Throws<InvalidOperationException>(() => _store.Get(pem.Cert, pem.Key));
        Assert.Throws<InvalidOperationException>(() => _store.Get(pem.Cert, pem.Key));
        _files.CheckNow();

        Assert.Contains(pem.Cert, first.Message, StringComparison.Ordinal);
        Assert.Single(_log.Entries, e => e.EventId == 301);
        Assert.Equal(1, _files.Count);

        using var certificate = _certs.IssueServer(Hostname);
        Write(certificate, 1, "broken");
        _files.CheckNow();

        Assert.Equal(certificate.Thumbprint, Served(pem));
    }

    [Fact]
    public void Refresh_CertbotSwapsTheSymlinksToNewFiles_TheNextTickServesThem()
    {
        // certbot's layout: live/NAME/{cert,key} are symlinks into archive/NAME/, repointed at each renewal.
        var archive = Directory.CreateDirectory(Path.Combine(_directory, "archive")).FullName;
        var live = Directory.CreateDirectory(Path.Combine(_directory, "live")).FullName;
        using var original = _certs.IssueServer(Hostname);
        using var renewed = _certs.IssueServer(Hostname);
        var first = PemFiles.Write(original, archive, "web1");
        var second = PemFiles.Write(renewed, archive, "web2");
        var pem = (Cert: Path.Combine(live, "web.pem"), Key: Path.Combine(live, "web.key"));
        File.CreateSymbolicLink(pem.Cert, first.Cert);
        File.CreateSymbolicLink(pem.Key, first.Key);
        Assert.Equal(original.Thumbprint, Served(pem));

        // Repointed as certbot does: a new link beside the old, renamed over it (atomic).
        foreach (var (link, target) in new[] { (pem.Key, second.Key), (pem.Cert, second.Cert) })
        {
            File.CreateSymbolicLink(link + ".new", target);
            File.Move(link + ".new", link, overwrite: true);
        }

        _files.CheckNow();

        Assert.Equal(renewed.Thumbprint, Served(pem));
    }
}
