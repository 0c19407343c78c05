using System.Diagnostics;
using System.Net.Sockets;
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using McProxy.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace McProxy.Tests;

/// <summary>
/// What makes <see cref="UnitTestAttribute"/> trustworthy: no code a unit class runs (its own methods, lambdas and
/// async bodies, and every method of this project they call, transitively) calls into a proxy start, a socket, a
/// process or a web host. Read from the compiled IL, so a helper that starts a server is caught wherever a unit
/// test calls it from.
/// </summary>
[UnitTest]
public sealed class UnitTestGuardTests
{
    /// <summary>Types outside this project whose use makes a test something other than a unit test.</summary>
    private static readonly HashSet<Type> Forbidden =
    [
        typeof(ProxyServer),
        typeof(Socket), typeof(TcpListener), typeof(TcpClient), typeof(UdpClient),
        typeof(Process),
        typeof(WebApplication), typeof(HostBuilder), typeof(HttpClient),
    ];

    private const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Module TestModule = typeof(UnitTestGuardTests).Module;

    [Fact]
    public void UnitClasses_StartNoProxySocketProcessOrHost()
    {
        var units = TestModule.GetTypes().Where(t => t.IsDefined(typeof(UnitTestAttribute), inherit: false)).ToArray();
        Assert.Contains(typeof(UnitTestGuardTests), units);

        var problems = units.SelectMany(t => ForbiddenCalls(t).Select(path => $"{t.FullName}: {path}")).ToList();

        Assert.True(problems.Count == 0, "[UnitTest] classes that reach a proxy, socket, process or host:\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Guard_SeesAProxyStartedThroughAHelper_AndAToolRunThroughAHelper()
    {
        // A guard that saw nothing would pass every class: it must see through helpers' async bodies to the call.
        var proxy = ForbiddenCalls(typeof(Functional.L4RoutingTests));
        var tool = ForbiddenCalls(typeof(Deploy.InstallScriptTests));

        Assert.Contains(proxy, p => p.Contains("→ TestProxy.StartAsync →", StringComparison.Ordinal) && p.EndsWith("→ ProxyServer.StartAsync", StringComparison.Ordinal));
        Assert.Contains(tool, p => p.Contains("→ ProcessRunner.RunAsync →", StringComparison.Ordinal) && p.EndsWith("→ Process.Start", StringComparison.Ordinal));
    }

    [Fact]
    public void UnitTrait_IsWhatTheMakefileFilters()
    {
        var makefile = File.ReadAllText(TestInfrastructure.RepositoryPaths.Get("Makefile"));

        Assert.Contains($"--filter {UnitTestAttribute.TraitName}={UnitTestAttribute.TraitValue}", makefile, StringComparison.Ordinal);
        var trait = Assert.Single(new UnitTestTraitDiscoverer().GetTraits(null!));
        Assert.Equal(new KeyValuePair<string, string>(UnitTestAttribute.TraitName, UnitTestAttribute.TraitValue), trait);
    }

    /// <summary>Each call chain from <paramref name="type"/> that ends in a forbidden type, as "caller → ... → callee".</summary>
    private static List<string> ForbiddenCalls(Type type)
    {
        var found = new List<string>();
        var seen = new HashSet<MethodBase>();
        var queue = new Queue<(MethodBase Method, string Path)>();
        void Enqueue(MethodBase method, string path)
        {
            if (method.Module == TestModule && seen.Add(method))
            {
                queue.Enqueue((method, path));
            }
        }

        // Every method of a type and of its nested types (lambdas, async bodies), each named as the start of a chain
        // or, with a path, as the body of the method the path ends in.
        void EnqueueType(Type t, string? path)
        {
            foreach (var method in t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)))
            {
                Enqueue(method, path ?? Name(method));
            }

            foreach (var nested in t.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
            {
                EnqueueType(nested, path);
            }
        }

        for (var t = type; t is not null && t.Module == TestModule; t = t.BaseType)
        {
            EnqueueType(t, null);
        }

        foreach (var fixture in type.GetInterfaces().Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IClassFixture<>)))
        {
            EnqueueType(fixture.GetGenericArguments()[0], null);
        }

        while (queue.TryDequeue(out var item))
        {
            // An async method or iterator is a stub: its body is the state machine's MoveNext.
            if (item.Method.GetCustomAttribute<StateMachineAttribute>() is { } stateMachine)
            {
                EnqueueType(stateMachine.StateMachineType, item.Path);
            }

            if (item.Method.DeclaringType?.TypeInitializer is { } initializer)
            {
                Enqueue(initializer, item.Path + " → " + Name(initializer));
            }

            foreach (var callee in Callees(item.Method))
            {
                var declaring = callee.DeclaringType is { IsGenericType: true } generic ? generic.GetGenericTypeDefinition() : callee.DeclaringType;
                if (declaring is not null && Forbidden.Contains(declaring))
                {
                    found.Add($"{item.Path} → {Name(callee)}");
                }
                else
                {
                    // A lambda or local function counts as part of its caller.
                    Enqueue(callee, IsCompilerGenerated(callee) ? item.Path : $"{item.Path} → {Name(callee)}");
                }
            }
        }

        return found.Distinct().ToList();
    }

    /// <summary>Every method or constructor whose token appears in <paramref name="method"/>'s IL (calls, newobj, ldftn).</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
        => IlOperands.Of(method).Where(o => o.Kind == OperandType.InlineMethod).Select(o => o.Member).OfType<MethodBase>();

    private static bool IsCompilerGenerated(MethodBase method)
        => method.Name.Contains('<', StringComparison.Ordinal) || method.DeclaringType?.IsDefined(typeof(CompilerGeneratedAttribute)) == true;

    private static string Name(MethodBase method)
    {
        var type = method.DeclaringType;
        while (type is not null && type.IsDefined(typeof(CompilerGeneratedAttribute)) && type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return $"{type?.Name}.{(method.IsConstructor ? "ctor" : method.Name)}";
    }
}
