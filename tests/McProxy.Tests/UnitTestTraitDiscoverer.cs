using Xunit.Abstractions;
using Xunit.Sdk;

namespace McProxy.Tests;

/// <summary>Gives the tests of a <see cref="UnitTestAttribute"/> class the trait Category=Unit, which `--filter` selects.</summary>
public sealed class UnitTestTraitDiscoverer : ITraitDiscoverer
{
    public IEnumerable<KeyValuePair<string, string>> GetTraits(IAttributeInfo traitAttribute)
        => [new(UnitTestAttribute.TraitName, UnitTestAttribute.TraitValue)];
}
