using System.Text;
using McProxy.Config;
using Tomlyn.Model;

namespace McProxy.Tests.Config;

/// <summary>
/// The TOML layer's own promises beyond the toml-test suite: what its errors say (the line of the error and of
/// what it clashes with, values quoted short), and the table orders TOML allows that the config relies on.
/// </summary>
[UnitTest]
public sealed class TomlDocumentReaderTests
{
    private static TomlTable Read(string text) => TomlDocumentReader.Read(text, "test.toml");

    private static string SingleError(string text) => Assert.Single(Assert.Throws<ConfigException>(() => Read(text)).Errors);

    [Fact]
    public void RepeatedKey_IsAnError_NamingBothLines()
    {
        Assert.Equal("TOML, line 3: duplicate key `a`, first set on line 1", SingleError("a = 1\nb = 2\na = 3\n"));
        Assert.Equal("TOML, line 4: duplicate key `port` in [proxy], first set on line 2", SingleError("[proxy]\nport = 1\n\nport = 2\n"));
    }

    [Theory]
    [InlineData("[t]\nx = 1\n[u]\n[t]\n", "TOML, line 4: table [t] is already defined on line 1")]
    [InlineData("a.b = 1\n[a]\n", "TOML, line 2: table [a] was already defined by dotted keys on line 1")]
    [InlineData("t = {x = 1}\n[t]\n", "TOML, line 2: table [t] was already defined as an inline table on line 1")]
    [InlineData("[[t]]\n[t]\n", "TOML, line 2: [t] is already an array of tables, [[t]], on line 1")]
    [InlineData("t = [1]\n[[t]]\n", "TOML, line 2: [[t]] cannot append to the key: it is already an array (complete as written) on line 1")]
    [InlineData("t = {x = 1}\n[t.y]\n", "TOML, line 2: [t.y] cannot add to `t`: it is an inline table (complete as written), set on line 1")]
    [InlineData("[a.b]\n[a]\nb.c = 1\n", "TOML, line 3: dotted key `b.c` cannot add to table [a.b], defined by its header on line 1")]
    public void TableRedefinition_IsAnError_NamingBothLines(string text, string error)
    {
        Assert.Equal(error, SingleError(text));
    }

    [Theory]
    [InlineData("a = 1\nt = {x = 1,\n  y = 2}\n", 2)]
    [InlineData("a = 1\nt = {x = 1, y = 2,}\n", 2)]
    [InlineData("a = 1\ns = \"\\e[0m\"\n", 2)]
    [InlineData("a = 1\n\"\\x41\" = 2\n", 2)]
    [InlineData("a = 1\nt = 07:32\n", 2)]
    [InlineData("a = 1\nt = 1979-05-27T07:32Z\n", 2)]
    public void TomlOneOneAdditions_AreRefused_OnTheirLine(string text, int line)
    {
        Assert.StartsWith($"TOML, line {line}: ", SingleError(text), StringComparison.Ordinal);
    }

    [Fact]
    public void TomlOneZeroLineBreaksInsideAnInlineTablesValues_AreAccepted()
    {
        var table = Read("t = {a = [1,\n  2], s = \"\"\"x\ny\"\"\"}\n");

        var inline = Assert.IsType<TomlTable>(table["t"]);
        Assert.Equal([1L, 2L], Assert.IsType<TomlArray>(inline["a"]).Cast<long>());
        Assert.Equal("x\ny", inline["s"]);
    }

    [Fact]
    public void ArraysOfTables_MayBeInterleavedWithOtherTables()
    {
        var table = Read("[[a]]\nn = 1\n[b]\nx = 1\n[[a]]\nn = 2\n[c]\n[[a.items]]\nv = 3\n[a.sub]\nw = 4\n");

        var a = Assert.IsType<TomlTableArray>(table["a"]);
        Assert.Equal([1L, 2L], a.Select(t => (long)t["n"]));
        Assert.False(a[0].ContainsKey("items"));
        Assert.Equal(3L, Assert.Single(Assert.IsType<TomlTableArray>(a[1]["items"]))["v"]);
        Assert.Equal(4L, Assert.IsType<TomlTable>(a[1]["sub"])["w"]);
    }

    [Fact]
    public void InterleavedListeners_AreAllRead_WithEachRouteUnderItsListener()
    {
        var config = ConfigLoader.Parse("""
            [database]
            path = "mc-proxy.db"
            [[listeners]]
            addr = "127.0.0.1:8443"
              [[listeners.routes]]
              hostname = "a.example.net"
              backend = "127.0.0.1:9001"
            [proxy]
            connect_timeout = "2s"
            [[listeners]]
            addr = "127.0.0.1:9443"
            [log]
            level = "debug"
            [[listeners.routes]]
            hostname = "b.example.net"
            backend = "127.0.0.1:9002"
            """, "test.toml", "/etc/mc");

        Assert.Collection(
            config.Listeners,
            l => Assert.Equal(("127.0.0.1:8443", "a.example.net"), (l.Addr, Assert.Single(l.Routes).Hostname)),
            l => Assert.Equal(("127.0.0.1:9443", "b.example.net"), (l.Addr, Assert.Single(l.Routes).Hostname)));
        Assert.Equal(TimeSpan.FromSeconds(2), config.Proxy.ConnectTimeout);
    }

    [Fact]
    public void HugeKey_IsQuotedShort_InItsError()
    {
        var key = new string('k', 100_000);

        var error = SingleError($"{key} = 1\n{key} = 2\n");

        Assert.StartsWith("TOML, line 2: duplicate key `", error, StringComparison.Ordinal);
        Assert.True(error.Length < 200, error);
    }

    [Fact]
    public void DeeplyDottedKey_IsRead_InBoundedMemory_AndItsDuplicateIsReportedShort()
    {
        // 50,000 nested tables: recursion would overflow the stack, a path stored per table would cost gigabytes.
        var key = string.Join('.', Enumerable.Repeat("a", 50_000));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var table = Read($"t = {{{key} = 1}}\n");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var node = Assert.IsType<TomlTable>(table["t"]);
        for (var i = 0; i < 49_999; i++)
        {
            node = Assert.IsType<TomlTable>(node["a"]);
        }

        Assert.Equal(1L, node["a"]);
        Assert.True(allocated < 400_000_000, $"{allocated} bytes allocated");
        var error = SingleError($"{key} = 1\n{key} = 2\n");
        Assert.StartsWith("TOML, line 2: duplicate key `a` in [a.a.a.", error, StringComparison.Ordinal);
        Assert.True(error.Length < 300, error);
    }

    [Fact]
    public void NestingDeeperThanTomlynsLimit_IsAnError_NotACrash()
    {
        var error = SingleError("a = " + new string('[', 10_000) + new string(']', 10_000) + "\n");

        Assert.StartsWith("TOML syntax", error, StringComparison.Ordinal);
        Assert.Contains("depth", error, StringComparison.Ordinal);
    }

    [Fact]
    public void HugeInvalidToken_IsQuotedShort_InItsSyntaxError()
    {
        var errors = Assert.Throws<ConfigException>(() => Read($"a = 1\nb = {new string('x', 100_000)}\n")).Errors;

        Assert.StartsWith("TOML syntax, line 2, column ", errors[0], StringComparison.Ordinal);
        Assert.All(errors, e => Assert.True(e.Length < 300, e));
    }

    [Fact]
    public void BytesThatAreNotUtf8_AreRefused_NamingTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes("a = 1\nb = \"x\"\nc = \"").Concat(new byte[] { 0xC3, 0x28, (byte)'"', (byte)'\n' }).ToArray();

        var error = Assert.Single(Assert.Throws<ConfigException>(() => TomlDocumentReader.Read(bytes, "test.toml")).Errors);

        Assert.StartsWith("TOML, line 3: the file is not valid UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OneByteOrderMark_IsSkipped_ASecondIsRefused()
    {
        var bom = new byte[] { 0xEF, 0xBB, 0xBF };
        var text = "a = 1\n"u8.ToArray();

        Assert.Equal(1L, TomlDocumentReader.Read(bom.Concat(text).ToArray(), "test.toml")["a"]);
        Assert.Throws<ConfigException>(() => TomlDocumentReader.Read(bom.Concat(bom).Concat(text).ToArray(), "test.toml"));
    }
}
