using System.Globalization;
using System.Text;

namespace McProxy.LoadGen;

/// <summary>
/// Turns the raw figures of a `make bench` run (one line per run: scenario, proxy, run, metric, value) into the
/// results table: the median of each figure per proxy, and mc-proxy's ratio to HAProxy against its target.
/// Writes the Markdown results file, the chart's data, and the table into the README between its markers.
/// </summary>
internal static class Report
{
    private const string ReadmeStart = "<!-- bench-table:start -->";
    private const string ReadmeEnd = "<!-- bench-table:end -->";

    private static readonly Row[] Rows =
    [
        new("l4_connrate", "conn_per_s", "L4 new connections/s", "conn/s", HigherIsBetter: true, Target: 0.95),
        new("l4_connrate", "cpu_us_per_conn", "L4 proxy CPU per connection", "µs", HigherIsBetter: false, Target: null),
        // Issue 16: the same load to a route of three backends taken in turn (round robin).
        new("l4_pool_connrate", "conn_per_s", "L4 new connections/s, three-backend pool", "conn/s", HigherIsBetter: true, Target: null),
        new("l4_pool_connrate", "cpu_us_per_conn", "L4 proxy CPU per connection, three-backend pool", "µs", HigherIsBetter: false, Target: null),
        new("l4_bulk1", "mb_per_s", "L4 bulk throughput, 1 stream", "MB/s", HigherIsBetter: true, Target: 1.0),
        new("l4_bulk8", "mb_per_s", "L4 bulk throughput, 8 streams", "MB/s", HigherIsBetter: true, Target: 1.0),
        new("l4_latency", "p50_us", "L4 request/response latency p50", "µs", HigherIsBetter: false, Target: null),
        new("l4_latency", "p99_us", "L4 request/response latency p99", "µs", HigherIsBetter: false, Target: 1.3),
        // Issue 17's second layout (BENCH_LAYOUT=both or shared): two workers per proxy, every process on every CPU.
        new("l4_connrate_shared", "conn_per_s", "L4 new connections/s, shared layout", "conn/s", HigherIsBetter: true, Target: 0.95),
        new("l4_connrate_shared", "cpu_us_per_conn", "L4 proxy CPU per connection, shared layout", "µs", HigherIsBetter: false, Target: null),
        new("l4_pool_connrate_shared", "conn_per_s", "L4 new connections/s, three-backend pool, shared layout", "conn/s", HigherIsBetter: true, Target: null),
        new("l4_bulk1_shared", "mb_per_s", "L4 bulk throughput, 1 stream, shared layout", "MB/s", HigherIsBetter: true, Target: 1.0),
        new("l4_bulk8_shared", "mb_per_s", "L4 bulk throughput, 8 streams, shared layout", "MB/s", HigherIsBetter: true, Target: 1.0),
        new("l4_bulk8_shared", "cpu_s_per_gb", "CPU per GB relayed (8 streams), shared layout", "CPU s/GB", HigherIsBetter: false, Target: null),
        new("l4_latency_shared", "p99_us", "L4 request/response latency p99, shared layout", "µs", HigherIsBetter: false, Target: 1.3),
        new("l4_idle", "bytes_per_conn", "Memory per idle relayed connection", "bytes", HigherIsBetter: false, Target: 2.0),
        // Issue 13's ~32 KiB per idle L7 connection, against the ~15.5 KiB HAProxy measures here.
        new("l7_idle", "bytes_per_conn", "Memory per idle L7 connection (TLS, after an HTTP/1.1 request)", "bytes", HigherIsBetter: false, Target: 2.0),
        new("l7_idle_h2", "bytes_per_conn", "Memory per idle L7 connection (TLS, HTTP/2 after one stream)", "bytes", HigherIsBetter: false, Target: null),
        // Issue 13's slow readers: tens of KiB each is the aim (HAProxy holds a few KiB).
        new("l7_slowread", "bytes_per_conn", "Memory per L7 slow reader (HTTP/1.1 download, client reads nothing)", "bytes", HigherIsBetter: false, Target: null),
        new("l4_bulk8", "cpu_s_per_gb", "CPU per GB relayed (8 streams)", "CPU s/GB", HigherIsBetter: false, Target: null),
        new("l7_h1", "req_per_s", "L7 HTTP/1.1 keep-alive requests/s", "req/s", HigherIsBetter: true, Target: 0.75),
        new("l7_h1", "cpu_us_per_req", "L7 HTTP/1.1 proxy CPU per request", "µs", HigherIsBetter: false, Target: 1.4),
        new("l7_h2", "req_per_s", "L7 HTTP/2 requests/s", "req/s", HigherIsBetter: true, Target: 0.65),
        new("l7_h2", "cpu_us_per_req", "L7 HTTP/2 proxy CPU per request", "µs", HigherIsBetter: false, Target: 1.4),
        new("l7_handshake", "req_per_s", "L7 new TLS handshakes/s", "conn/s", HigherIsBetter: true, Target: null),
        new("l7_handshake", "cpu_us_per_req", "L7 proxy CPU per handshake (and its request)", "µs", HigherIsBetter: false, Target: null),
    ];

    private static readonly string[] Proxies = ["mc-proxy", "haproxy", "nginx", "direct"];

    public static int Run(Options options)
    {
        var raw = File.ReadLines(options.String("raw"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split('\t'))
            .Where(f => f.Length == 5 && double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            // With no proxy in between there is no proxy CPU to report.
            .Where(f => !(f[1] == "direct" && f[3].StartsWith("cpu_", StringComparison.Ordinal)))
            .GroupBy(f => (Scenario: f[0], Proxy: f[1], Metric: f[3]))
            .ToDictionary(g => g.Key, g => g.Select(f => double.Parse(f[4], CultureInfo.InvariantCulture)).ToArray());

        var proxies = Proxies.Where(p => raw.Keys.Any(k => k.Proxy == p)).ToArray();
        var rows = Rows.Where(r => proxies.Any(p => raw.ContainsKey((r.Scenario, p, r.Metric)))).ToArray();
        double? Median(Row row, string proxy) => raw.TryGetValue((row.Scenario, proxy, row.Metric), out var values) ? MedianOf(values) : null;

        var table = new StringBuilder();
        table.Append("| Scenario | unit |");
        foreach (var proxy in proxies)
        {
            table.Append(CultureInfo.InvariantCulture, $" {Title(proxy)} |");
        }

        table.AppendLine(" mc-proxy ÷ HAProxy | nginx ÷ HAProxy | target (mc-proxy ÷ HAProxy) |");
        table.Append("|---|---|");
        table.Append(string.Concat(Enumerable.Repeat("---:|", proxies.Length)));
        table.AppendLine("---:|---:|---|");
        var plot = new StringBuilder("# scenario mc-proxy/haproxy nginx/haproxy\n");
        foreach (var row in rows)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {row.Label} | {row.Unit} |");
            foreach (var proxy in proxies)
            {
                table.Append(CultureInfo.InvariantCulture, $" {Format(Median(row, proxy))} |");
            }

            var haproxy = Median(row, "haproxy");
            var mc = Ratio(Median(row, "mc-proxy"), haproxy);
            var nginx = Ratio(Median(row, "nginx"), haproxy);
            table.Append(CultureInfo.InvariantCulture, $" {FormatRatio(mc)} | {FormatRatio(nginx)} | {TargetText(row, mc)} |");
            table.AppendLine();
            plot.AppendLine(CultureInfo.InvariantCulture, $"\"{row.Label}{(row.HigherIsBetter ? "" : " (lower is better)")}\" {mc ?? 0:0.###} {nginx ?? 0:0.###}");
        }

        var runs = new StringBuilder();
        foreach (var row in rows)
        {
            var perProxy = proxies
                .Where(p => raw.ContainsKey((row.Scenario, p, row.Metric)))
                .Select(p => $"{Title(p)} {string.Join(", ", raw[(row.Scenario, p, row.Metric)].Select(v => Format(v)))}");
            runs.AppendLine(CultureInfo.InvariantCulture, $"- {row.Label}: {string.Join("; ", perProxy)}");
        }

        var date = options.String("date", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
        var markdown = new StringBuilder();
        markdown.AppendLine(CultureInfo.InvariantCulture, $"# mc-proxy benchmark, {date}");
        markdown.AppendLine();
        markdown.AppendLine(options.String("preamble", ""));
        markdown.AppendLine();
        markdown.Append(table);
        markdown.AppendLine();
        if (options.Optional("chart") is { } chart)
        {
            markdown.AppendLine(CultureInfo.InvariantCulture, $"![ratios to HAProxy]({chart})");
            markdown.AppendLine();
        }

        markdown.AppendLine("Each figure is the median of the runs below (in the order they ran, proxies alternating):");
        markdown.AppendLine();
        markdown.Append(runs);
        File.WriteAllText(options.String("out"), markdown.ToString());
        if (options.Optional("plot") is { } plotFile)
        {
            File.WriteAllText(plotFile, plot.ToString());
        }

        if (options.Optional("readme") is { } readme)
        {
            UpdateReadme(readme, $"Last run: {date}, {options.String("summary", "")}\n\n{table}");
        }

        Console.Write(table);
        return 0;
    }

    private static void UpdateReadme(string path, string content)
    {
        var text = File.ReadAllText(path);
        var start = text.IndexOf(ReadmeStart, StringComparison.Ordinal);
        var end = text.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            Console.Error.WriteLine($"mc-loadgen: {path} has no {ReadmeStart} ... {ReadmeEnd} markers; not updated");
            return;
        }

        File.WriteAllText(path, string.Concat(text.AsSpan(0, start + ReadmeStart.Length), "\n", content, text.AsSpan(end)));
    }

    private static double MedianOf(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double? Ratio(double? value, double? reference)
        => value is { } v && reference is { } r && r != 0 ? v / r : null;

    private static string TargetText(Row row, double? ratio)
    {
        if (row.Target is not { } target)
        {
            return "";
        }

        var text = row.HigherIsBetter ? $"≥ {target:0.0#}" : $"≤ {target:0.0#}";
        if (ratio is not { } r)
        {
            return text;
        }

        var met = row.HigherIsBetter ? r >= target : r <= target;
        return $"{text} {(met ? "met" : "**missed**")}";
    }

    private static string Title(string proxy) => proxy switch
    {
        "haproxy" => "HAProxy",
        "direct" => "no proxy",
        _ => proxy,
    };

    private static string Format(double? value) => value switch
    {
        null => "–",
        >= 100 => value.Value.ToString("#,0", CultureInfo.InvariantCulture),
        >= 10 => value.Value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string FormatRatio(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) : "–";

    private sealed record Row(string Scenario, string Metric, string Label, string Unit, bool HigherIsBetter, double? Target);
}
