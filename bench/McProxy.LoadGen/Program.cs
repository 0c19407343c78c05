using McProxy.LoadGen;

// The load generator and the backends of `make bench` (bench/run.sh). Each verb prints one JSON object on
// stdout: the figures of that run, read by the script; progress and errors go to stderr.
if (args.Length == 0)
{
    Console.Error.WriteLine("""
        usage: mc-loadgen VERB [--option value ...]
          backend  --answer PORT --echo PORT --source PORT      L4 backends that skip the ClientHello
          connrate --target H:P --sni NAME [--connections 64] [--duration 5]
          bulk     --target H:P --sni NAME [--streams 1] [--duration 5] [--pids P,P]
          latency  --target H:P --sni NAME [--rate 2000] [--connections 10] [--size 64] [--duration 5]
          idle     --target H:P --sni NAME --pids P,P [--count 5000] [--steps 5]
          l7idle   --target H:P --sni HOST --ca CERT.pem --pids P,P [--http 1.1|2] [--count 5000] [--steps 5] [--hold SECONDS]
          l7slowread --target H:P --sni HOST --ca CERT.pem --pids P,P [--path /large] [--count 1000] [--steps 5] [--hold SECONDS]
          report   --raw FILE --out FILE.md --plot FILE.dat [--readme README.md] [--machine TEXT]
        """);
    return 2;
}

var options = Options.Parse(args.AsSpan(1));
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    return args[0] switch
    {
        "backend" => await Backends.RunAsync(options, stop.Token),
        "connrate" => await ConnectionRate.RunAsync(options),
        "bulk" => await Bulk.RunAsync(options),
        "latency" => await Latency.RunAsync(options),
        "idle" => await IdleMemory.RunAsync(options),
        "l7idle" => await L7IdleMemory.RunAsync(options),
        "l7slowread" => await L7SlowReadMemory.RunAsync(options),
        "report" => Report.Run(options),
        _ => throw new ArgumentException($"unknown verb {args[0]}"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"mc-loadgen: {e.Message}");
    return 2;
}
