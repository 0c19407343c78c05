using System.Globalization;

namespace McProxy.LoadGen;

/// <summary>CPU time and resident memory of the proxy's processes, from /proc (Linux).</summary>
internal static class ProcStat
{
    private static readonly double TicksPerSecond = 100; // USER_HZ: 100 on every Linux this runs on.

    /// <summary>utime + stime in seconds, summed over <paramref name="pids"/>.</summary>
    public static double CpuSeconds(int[] pids)
    {
        double total = 0;
        foreach (var pid in pids)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }

        return total;
    }

    /// <summary>VmRSS in bytes, summed over <paramref name="pids"/>.</summary>
    public static long RssBytes(int[] pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    total += long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return total;
    }
}
