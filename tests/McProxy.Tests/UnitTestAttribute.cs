using Xunit.Sdk;

namespace McProxy.Tests;

/// <summary>
/// Marks a test class whose tests start no proxy, open no socket, start no process and host no web server: parsers,
/// config, model rules, the store, the route table, rule sets, formatting. `make test-unit` runs these alone (the
/// trait Category=Unit); <see cref="UnitTestGuardTests"/> fails if a marked class reaches any of those things.
/// A class without the mark runs in `make test` and `make test-functional`, never in `make test-unit`.
/// </summary>
[TraitDiscoverer("McProxy.Tests." + nameof(UnitTestTraitDiscoverer), "McProxy.Tests")]
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class UnitTestAttribute : Attribute, ITraitAttribute
{
    public const string TraitName = "Category";

    public const string TraitValue = "Unit";
}
