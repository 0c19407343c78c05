using McProxy.Model;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Model;

/// <summary>Only a regular file within the cap is read; anything else is refused at once, with what it is.</summary>
[UnitTest]
public sealed class RegularFileTests : IDisposable
{
    private readonly string _directory = TestProxy.CreateTempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TryRead_RegularFileThroughASymlink_ReturnsItsBytes()
    {
        var path = Path.Combine(_directory, "a.pem");
        File.WriteAllText(path, "hello");
        var link = Path.Combine(_directory, "link.pem");
        File.CreateSymbolicLink(link, path);

        Assert.Equal("hello"u8.ToArray(), RegularFile.TryRead(link, 16, out var error));
        Assert.Null(error);
    }

    [Fact]
    public void TryRead_Fifo_IsRefusedWithoutWaitingForAWriter()
    {
        // An ordinary open of this FIFO would wait forever for a writer; the test would never end.
        var fifo = Fifos.Create(_directory, "fifo");

        Assert.Null(RegularFile.TryRead(fifo, 16, out var error));
        Assert.Equal("is a FIFO, not a regular file", error);
    }

    [Theory]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("/", "is a directory, not a regular file")]
    [InlineData("/nonexistent/x.pem", "does not exist")]
    [InlineData("/etc/hostname\0.pem", "is not a usable path: it holds a NUL character")]
    public void TryRead_NotARegularFile_SaysWhatItIs(string path, string expected)
    {
        Assert.Null(RegularFile.TryRead(path, 16, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryRead_OverTheCap_IsRefused()
    {
        var path = Path.Combine(_directory, "big.pem");
        File.WriteAllBytes(path, new byte[17]);

        Assert.Null(RegularFile.TryRead(path, 16, out var error));
        Assert.Equal("is 17 bytes, more than the 16 read from such a file", error);
        Assert.NotNull(RegularFile.TryRead(path, 17, out _));
    }
}
