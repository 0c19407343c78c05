using System.Reflection;
using System.Text.RegularExpressions;
using McProxy.Metrics;
using McProxy.Routing;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Deploy;

/// <summary>
/// RUNBOOK.md is what an operator reads at 3 a.m.: every outcome the access log can show and every metric the
/// endpoint exports must be explained there. These fail when one is added to the code and not to the runbook.
/// </summary>
[UnitTest]
public sealed partial class RunbookTests
{
    private static readonly string Runbook = File.ReadAllText(RepositoryPaths.Get("RUNBOOK.md"));

    [Fact]
    public void Runbook_ExplainsEveryAccessLogOutcome()
    {
        var outcomes = typeof(ConnectionOutcome)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();

        // The first column of the table under "### Outcomes".
        var section = Runbook[Runbook.IndexOf("### Outcomes", StringComparison.Ordinal)..];
        var documented = section.Split('\n')
            .TakeWhile(line => !line.StartsWith("### Common", StringComparison.Ordinal))
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(line => OutcomeName().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value))
            .ToHashSet();

        Assert.Contains("no_route", outcomes);
        Assert.All(outcomes, outcome => Assert.Contains(outcome, documented));
    }

    [Fact]
    public async Task Runbook_ExplainsEveryExportedMetric()
    {
        using var text = new MemoryStream();
        await new ProxyMetrics().Registry.CollectAndExportAsTextAsync(text);
        var names = MetricType().Matches(System.Text.Encoding.UTF8.GetString(text.ToArray())).Select(m => m.Groups[1].Value).ToList();

        Assert.Contains("mcproxy_connections_total", names);
        Assert.All(names, name => Assert.Contains($"| `{name}` |", Runbook, StringComparison.Ordinal));
    }

    [GeneratedRegex("`([a-z0-9_]+)`")]
    private static partial Regex OutcomeName();

    [GeneratedRegex(@"^# TYPE (\S+) ", RegexOptions.Multiline)]
    private static partial Regex MetricType();
}
