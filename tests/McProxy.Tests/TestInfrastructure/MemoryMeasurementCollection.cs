namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// Tests that assert on the managed heap of this process. xunit runs a collection without parallelization after
/// every parallel one and alone, so what such a test measures is its own proxy and backend, not the allocations of
/// the hundreds of tests that would otherwise run beside it (a full CI run once measured 850 KB per slow reader
/// where the test alone measures 360 KB).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurementCollection
{
    public const string Name = "memory measurement";
}
