using System.CommandLine;
using System.Runtime.InteropServices;
using McProxy.Client;
using McProxy.Config;
using McProxy.Logging;
using McProxy.Net;
using Microsoft.Extensions.Logging.Console;

namespace McProxy.Cli;

/// <summary>`mc-proxy server -c FILE`: validate the config, start, and drain on SIGTERM/SIGINT.</summary>
internal sealed class ServerCommand : Command
{
    public ServerCommand(TextWriter stdout, TextWriter stderr, CancellationToken stop)
        : base("server", "Start the proxy")
    {
        var configOption = McProxyCli.ConfigOption();
        var seedOption = new Option<bool>("--seed")
        {
            Description = "Seed a missing or empty database from the config even when snapshots exist in <db dir>/backups/",
        };
        Options.Add(configOption);
        Options.Add(seedOption);
        SetAction((result, _) => RunAsync(result.GetRequiredValue(configOption), result.GetValue(seedOption), stdout, stderr, stop));
    }

    private static async Task<int> RunAsync(string configPath, bool seed, TextWriter stdout, TextWriter stderr, CancellationToken stop)
    {
        if (await McProxyCli.LoadConfigAsync(configPath, stderr) is not { } config)
        {
            return ExitCodes.BadConfig;
        }

        using var loggerFactory = CreateLoggerFactory(config.Log.Level, config.Log.FormatFor(outputIsTerminal: !Console.IsOutputRedirected));
        using var signalled = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        ProxyServer server;
        try
        {
            server = await ProxyServer.StartAsync(config, loggerFactory, seed, stop);
        }
        catch (StartRefusedException e)
        {
            // Only an operator can resolve it; exit 2 keeps systemd from restarting in vain (RestartPreventExitStatus).
            await stderr.WriteLineAsync($"mc-proxy: refusing to start: {e.Message}");
            return ExitCodes.BadConfig;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or System.Security.Cryptography.CryptographicException)
        {
            await stderr.WriteLineAsync($"mc-proxy: could not start: {e.Message}");
            return ExitCodes.Failed;
        }

        await using (server)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, signalled.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await server.StopAsync();
        }

        return ExitCodes.Success;

        void OnSignal(PosixSignalContext context)
        {
            // Handle the signal ourselves: drain, then exit, instead of the runtime's immediate exit.
            context.Cancel = true;
            signalled.Cancel();
        }
    }

    /// <summary>
    /// Lines on standard output in <paramref name="format"/> (JSON, one object a line, as journald and log shippers
    /// expect, or text for people: <see cref="JsonLineFormatter"/>, <see cref="TextLineFormatter"/>), at the levels of
    /// <see cref="LogCategories"/>, through <see cref="GuardedLoggerProvider"/> (client faults at Debug, floods summarised).
    /// </summary>
    internal static ILoggerFactory CreateLoggerFactory(LogLevel level, LogFormat format) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        foreach (var category in LogCategories.Framework)
        {
            builder.AddFilter(category, LogCategories.Minimum(level, category));
        }

        builder.AddFilter(LogCategories.HostingDiagnostics, LogCategories.Minimum(level, LogCategories.HostingDiagnostics));
        builder.AddFilter(LogCategories.GenericHost, LogCategories.Minimum(level, LogCategories.GenericHost));
        ConsoleFormatter formatter = format == LogFormat.Text
            ? new TextLineFormatter(level, TimeProvider.System)
            : new JsonLineFormatter(TimeProvider.System);
        builder.AddConsole();
        builder.Services.AddSingleton(formatter);
        builder.Services.Configure<ConsoleLoggerOptions>(options =>
        {
            options.FormatterName = formatter.Name;
            options.LogToStandardErrorThreshold = LogLevel.None;
            // Lines are written by a background thread from a bounded queue. When standard output cannot keep up
            // (a stalled journald or pipe), lines are dropped, and the logger reports how many, rather than
            // blocking the socket threads that run every connection (Program.Main).
            options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        });

        // The console provider, wrapped: the factory's filters above still decide what reaches it.
        var console = builder.Services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        builder.Services.Remove(console);
        builder.Services.AddSingleton<ILoggerProvider>(services => new GuardedLoggerProvider(
            ActivatorUtilities.CreateInstance<ConsoleLoggerProvider>(services),
            category => LogCategories.Minimum(level, category),
            TimeProvider.System));
    });
}
