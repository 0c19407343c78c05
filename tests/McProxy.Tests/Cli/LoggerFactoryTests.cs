using McProxy.Cli;
using McProxy.Config;

namespace McProxy.Tests.Cli;

/// <summary>`[log] level` as the server applies it: mc-proxy's own categories at the level, the framework at Warning or above.</summary>
[UnitTest]
public sealed class LoggerFactoryTests
{
    [Theory]
    [InlineData(LogLevel.Debug, "McProxy.Connection", LogLevel.Debug, true)]
    [InlineData(LogLevel.Information, "McProxy.Connection", LogLevel.Debug, false)]
    [InlineData(LogLevel.Information, "McProxy.Access", LogLevel.Information, true)]
    [InlineData(LogLevel.Warning, "McProxy.Access", LogLevel.Information, false)]
    [InlineData(LogLevel.Warning, "McProxy.Server", LogLevel.Warning, true)]
    [InlineData(LogLevel.Error, "McProxy.Server", LogLevel.Warning, false)]
    [InlineData(LogLevel.Error, "McProxy.Connection", LogLevel.Error, true)]
    [InlineData(LogLevel.Debug, "Microsoft.AspNetCore.Server.Kestrel", LogLevel.Debug, false)]
    [InlineData(LogLevel.Debug, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information, false)]
    [InlineData(LogLevel.Debug, "Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning, true)]
    [InlineData(LogLevel.Information, "System.Net.Http.HttpClient", LogLevel.Information, false)]
    [InlineData(LogLevel.Error, "Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning, false)]
    [InlineData(LogLevel.Information, "Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Information, false)]
    [InlineData(LogLevel.Debug, "Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.Debug, false)]
    [InlineData(LogLevel.Error, "Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.Error, true)]
    // Off at every level: while it is enabled at all, hosting starts an Activity and a scope per L7 request.
    [InlineData(LogLevel.Debug, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Critical, false)]
    [InlineData(LogLevel.Warning, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Critical, false)]
    public void CreateLoggerFactory_Level_EnablesExactlyWhatItShould(LogLevel configured, string category, LogLevel level, bool enabled)
    {
        using var factory = ServerCommand.CreateLoggerFactory(configured, LogFormat.Json);

        Assert.Equal(enabled, factory.CreateLogger(category).IsEnabled(level));
    }
}
