namespace McProxy.Tests.ProxyProtocol;

/// <summary>A whole, valid header and what it must parse to (in <see cref="ProxyTestBytes.Describe"/> form).</summary>
internal sealed record ProxyFixture(string Name, byte[] Bytes, string Expected)
{
    public override string ToString() => Name;
}
