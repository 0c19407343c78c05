using BenchmarkDotNet.Running;

// `make bench-micro`, or `dotnet run -c Release --project bench/McProxy.Benchmarks -- --filter '*Route*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
