using System.Globalization;
using System.Text.Json;
using McProxy.Config;
using Tomlyn;
using Tomlyn.Model;

namespace McProxy.Tests.Config;

/// <summary>
/// The TOML 1.0 cases of the official toml-test suite (Fixtures/toml-test, MIT), one case per file, through the
/// config reader's TOML layer as <see cref="ConfigLoader.Load"/> uses it (the file's bytes in, the model out):
/// every valid document yields exactly the values its tagged JSON names, every invalid one is refused with
/// errors that name their line.
/// </summary>
[UnitTest]
public sealed class TomlComplianceTests
{
    private static readonly string SuiteDirectory = Path.Combine(AppContext.BaseDirectory, "Fixtures", "toml-test");

    public static TheoryData<string> ValidCases => Cases("valid/");

    public static TheoryData<string> InvalidCases => Cases("invalid/");

    [Fact]
    public void Suite_IsTheWholeTomlOneZeroList()
    {
        Assert.Equal(210, ValidCases.Count);
        Assert.Equal(499, InvalidCases.Count);
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void ValidDocument_YieldsTheExpectedValues(string name)
    {
        var path = Path.Combine(SuiteDirectory, name);
        var table = TomlDocumentReader.Read(File.ReadAllBytes(path), name);

        using var expected = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(path, ".json")));
        AssertMatches(expected.RootElement, table, "(root)");
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void InvalidDocument_IsRefused_WithLineNumbers(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(SuiteDirectory, name));

        var error = Assert.Throws<ConfigException>(() => TomlDocumentReader.Read(bytes, name));

        Assert.NotEmpty(error.Errors);
        Assert.All(error.Errors, e => Assert.Matches(@"^TOML( syntax)?, line \d+|^TOML: \d+ more error\(s\) not shown$", e));
        Assert.Matches(@"^TOML( syntax)?, line \d+", error.Errors[0]);
    }

    private static TheoryData<string> Cases(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var line in File.ReadAllLines(Path.Combine(SuiteDirectory, "files-toml-1.0.0")))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) && line.EndsWith(".toml", StringComparison.Ordinal))
            {
                data.Add(line);
            }
        }

        return data;
    }

    /// <summary>toml-test's tagged JSON: a leaf is <c>{"type": T, "value": "text"}</c>, a table an object, an array an array.</summary>
    private static void AssertMatches(JsonElement expected, object? actual, string path)
    {
        if (IsLeaf(expected))
        {
            AssertLeaf(expected.GetProperty("type").GetString()!, expected.GetProperty("value").GetString()!, actual, path);
            return;
        }

        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var table = Assert.IsType<TomlTable>(actual, exactMatch: false);
                var expectedKeys = expected.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
                Assert.Equal(expectedKeys, table.Keys.Order(StringComparer.Ordinal).ToList());
                foreach (var property in expected.EnumerateObject())
                {
                    AssertMatches(property.Value, table[property.Name], $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                // [[a]] gives a TomlTableArray, a = [...] a TomlArray: both are TOML arrays.
                var items = actual switch
                {
                    TomlArray array => array.ToList(),
                    TomlTableArray tables => tables.Cast<object?>().ToList(),
                    _ => throw new Xunit.Sdk.XunitException($"{path}: expected an array, got {actual?.GetType().Name ?? "nothing"}"),
                };
                Assert.Equal(expected.GetArrayLength(), items.Count);
                var index = 0;
                foreach (var element in expected.EnumerateArray())
                {
                    AssertMatches(element, items[index], $"{path}[{index}]");
                    index++;
                }

                break;
            default:
                throw new Xunit.Sdk.XunitException($"{path}: unexpected JSON {expected.ValueKind} in the expectation");
        }
    }

    private static bool IsLeaf(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && element.EnumerateObject().Count() == 2
        && element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
        && element.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String;

    private static void AssertLeaf(string type, string text, object? actual, string path)
    {
        switch (type)
        {
            case "string":
                Assert.Equal(text, Assert.IsType<string>(actual));
                break;
            case "integer":
                Assert.Equal(long.Parse(text, CultureInfo.InvariantCulture), Assert.IsType<long>(actual));
                break;
            case "float":
                AssertFloat(text, Assert.IsType<double>(actual), path);
                break;
            case "bool":
                Assert.Equal(text == "true", Assert.IsType<bool>(actual));
                break;
            case "datetime":
                var offset = Assert.IsType<TomlDateTime>(actual);
                Assert.True(offset.Kind is TomlDateTimeKind.OffsetDateTimeByZ or TomlDateTimeKind.OffsetDateTimeByNumber, $"{path}: {offset.Kind}");
                var expectedOffset = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
                Assert.Equal(expectedOffset, offset.DateTime);
                Assert.Equal(expectedOffset.Offset, offset.DateTime.Offset);
                break;
            case "datetime-local":
                var local = Assert.IsType<TomlDateTime>(actual);
                Assert.Equal(TomlDateTimeKind.LocalDateTime, local.Kind);
                Assert.Equal(DateTime.Parse(text, CultureInfo.InvariantCulture), local.DateTime.DateTime);
                break;
            case "date-local":
                var date = Assert.IsType<TomlDateTime>(actual);
                Assert.Equal(TomlDateTimeKind.LocalDate, date.Kind);
                Assert.Equal(DateOnly.Parse(text, CultureInfo.InvariantCulture), DateOnly.FromDateTime(date.DateTime.DateTime));
                break;
            case "time-local":
                var time = Assert.IsType<TomlDateTime>(actual);
                Assert.Equal(TomlDateTimeKind.LocalTime, time.Kind);
                Assert.Equal(TimeOnly.Parse(text, CultureInfo.InvariantCulture), TimeOnly.FromTimeSpan(time.DateTime.TimeOfDay));
                break;
            default:
                throw new Xunit.Sdk.XunitException($"{path}: unknown type tag \"{type}\" in the expectation");
        }
    }

    private static void AssertFloat(string text, double actual, string path)
    {
        switch (text)
        {
            case "nan" or "+nan" or "-nan":
                Assert.True(double.IsNaN(actual), $"{path}: expected nan, got {actual}");
                break;
            case "inf" or "+inf":
                Assert.Equal(double.PositiveInfinity, actual);
                break;
            case "-inf":
                Assert.Equal(double.NegativeInfinity, actual);
                break;
            default:
                var expected = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                Assert.Equal(expected, actual);
                // -0.0 equals 0.0; the sign is a value too.
                Assert.Equal(double.IsNegative(expected), double.IsNegative(actual));
                break;
        }
    }
}
