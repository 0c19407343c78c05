namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// Tests that count this process's open file descriptors (/proc/self/fd). xunit runs a collection without
/// parallelization after every parallel one and alone, so the descriptors that come and go are the test's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorCountCollection
{
    public const string Name = "descriptor count";
}
