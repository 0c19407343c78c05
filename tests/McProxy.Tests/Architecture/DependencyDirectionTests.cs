using System.Reflection;
using System.Reflection.Emit;
using System.Text;
using System.Text.RegularExpressions;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Architecture;

/// <summary>
/// The server's folders depend on each other in one direction (ARCHITECTURE.md, "Layout"): Cli → ProxyServer →
/// {Admin, Listener, Relay, Http, Firewall} → Routing → {Store, Config, Metrics, the parsers} → Model → Net. This
/// reads the compiled server (every type's signatures, fields, locals and method bodies: a parent namespace's types
/// need no <c>using</c>, so those lines alone would miss them) and fails on a use the map below does not allow,
/// naming both types: a namespace cycle cannot come back unnoticed.
/// </summary>
[UnitTest]
public sealed partial class DependencyDirectionTests
{
    /// <summary>
    /// What each folder may use besides itself. "" is the root (ProxyServer: start and stop); "Program" is the entry
    /// point alone, above the verbs it hands the command line to. The parsers (Tls, ProxyProtocol) and the
    /// instruments (Metrics) sit low: a listener's live state holds its counters, a routed connection its ClientHello.
    /// </summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Net"] = [],
        ["Logging"] = [],
        ["Model"] = ["Net"],
        ["ProxyProtocol"] = ["Net"],
        ["Metrics"] = ["Model", "Net"],
        ["Config"] = ["Model", "Net"],
        ["Tls"] = ["Config", "Model", "Net"],
        ["Store"] = ["Config", "Model", "Net"],
        ["Routing"] = ["Store", "Config", "Metrics", "Tls", "Model", "Net"],
        ["Firewall"] = ["Routing", "Metrics", "Store", "Config", "Model", "Net"],
        ["Relay"] = ["Routing", "Metrics", "Tls", "ProxyProtocol", "Config", "Model", "Net"],
        ["Http"] = ["Routing", "Metrics", "Tls", "Config", "Model", "Net", "Logging"],
        ["Listener"] = ["Firewall", "Routing", "Metrics", "Tls", "ProxyProtocol", "Config", "Model", "Net", "Logging"],
        ["Admin"] = ["Routing", "Metrics", "Tls", "Store", "Config", "Model", "Net", "Logging"],
        [""] = ["Admin", "Listener", "Relay", "Http", "Firewall", "Metrics", "Routing", "Store", "Config", "Model", "Net", "Tls", "ProxyProtocol", "Logging"],
        ["Cli"] = ["", "Admin", "Routing", "Store", "Config", "Model", "Net", "Logging"],
        ["Program"] = ["Cli", ""],
    };

    [Fact]
    public void AllowedMap_HasNoCycle()
    {
        var visiting = new HashSet<string>();
        var done = new HashSet<string>();
        foreach (var folder in Allowed.Keys)
        {
            Visit(folder, []);
        }

        void Visit(string folder, List<string> path)
        {
            Assert.False(visiting.Contains(folder), $"the allowed map has a cycle: {string.Join(" → ", path.Append(folder))}");
            if (!done.Add(folder))
            {
                return;
            }

            visiting.Add(folder);
            foreach (var next in Allowed[folder])
            {
                Visit(next, [.. path, folder]);
            }

            visiting.Remove(folder);
        }
    }

    [Fact]
    public void EveryFolder_UsesOnlyWhatTheMapAllows()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        var assembly = typeof(Program).Assembly;
        foreach (var type in assembly.GetTypes().Where(IsOurs))
        {
            var folder = FolderOf(type);
            Assert.True(Allowed.ContainsKey(folder), $"{type.FullName}: folder \"{folder}\" is not in the dependency map; add it where it belongs");
            foreach (var used in UsedTypes(type).Where(u => u.Assembly == assembly && IsOurs(u)))
            {
                var usedFolder = FolderOf(used);
                if (usedFolder != folder && !Allowed[folder].Contains(usedFolder))
                {
                    violations.Add($"{Outermost(type).FullName} ({Display(folder)}) uses {Outermost(used).FullName} ({Display(usedFolder)})");
                }
            }
        }

        // Constants are copied into the code that reads them, so their static classes (ConnectionOutcome, say) leave no
        // trace in the compiled code: for those the source is read, where they are named as a qualifier (Name.Member).
        var qualifiers = StaticTypeFolders(assembly);
        var source = RepositoryPaths.Get("src", "McProxy");
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            var folder = relative.Contains(Path.DirectorySeparatorChar) ? relative[..relative.IndexOf(Path.DirectorySeparatorChar)]
                : relative == "Program.cs" ? "Program" : "";
            if (folder is "obj" or "bin")
            {
                continue;
            }

            foreach (Match name in Qualifier().Matches(CodeOnly(File.ReadAllText(file))))
            {
                if (qualifiers.TryGetValue(name.Groups[1].Value, out var used) && used != folder && Allowed.TryGetValue(folder, out var allowed) && !allowed.Contains(used))
                {
                    violations.Add($"src/McProxy/{relative} ({Display(folder)}) uses {name.Groups[1].Value} ({Display(used)})");
                }
            }
        }

        Assert.True(violations.Count == 0, "dependencies against the direction:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void TheCheck_SeesWhatACompiledTypeUses()
    {
        // A field, a constructor call in a method body and a generic argument are all found; a comment or a string is not.
        var used = UsedTypes(typeof(Sample)).ToList();
        Assert.Contains(typeof(Uri), used);
        Assert.Contains(typeof(StringBuilder), used);
        Assert.Contains(typeof(Version), used);
        var code = CodeOnly("""
            // ProxyServer.Start in a comment
            var text = "ProxyServer.Start in a string";
            var outcome = Sample.Value;
            """);
        Assert.Equal(["Sample"], Qualifier().Matches(code).Select(m => m.Groups[1].Value));
        Assert.Equal("Net", FolderOf(typeof(McProxy.Net.HostPort)));
        Assert.Equal("", FolderOf(typeof(ProxyServer)));
    }

    /// <summary>The server's own code; not what a source generator puts in its own namespace (the regex engine's).</summary>
    private static bool IsOurs(Type type) => Outermost(type).Namespace is { } name && (name == "McProxy" || name.StartsWith("McProxy.", StringComparison.Ordinal));

    private static string Display(string folder) => folder.Length == 0 ? "root" : folder;

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    /// <summary>The folder a type's namespace names: McProxy.Http.Forwarding is Http, McProxy itself the root.</summary>
    private static string FolderOf(Type type)
    {
        if (Outermost(type) == typeof(Program))
        {
            return "Program";
        }

        var parts = (Outermost(type).Namespace ?? "").Split('.');
        return parts.Length > 1 ? parts[1] : "";
    }

    /// <summary>Static classes and enums by simple name → folder (a name two folders define is left out).</summary>
    private static Dictionary<string, string> StaticTypeFolders(Assembly assembly)
    {
        var byName = new Dictionary<string, string?>();
        foreach (var type in assembly.GetTypes().Where(t => !t.IsNested && IsOurs(t) && (t.IsEnum || t.IsAbstract && t.IsSealed)))
        {
            var name = type.Name.Split('`')[0];
            var folder = FolderOf(type);
            byName[name] = byName.TryGetValue(name, out var seen) && seen != folder ? null : folder;
        }

        return byName.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);
    }

    /// <summary>Every type a type's signatures, fields, locals and method bodies name, generic arguments and element types included.</summary>
    private static IEnumerable<Type> UsedTypes(Type type)
    {
        const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        var found = new List<Type?> { type.BaseType };
        found.AddRange(type.GetInterfaces());
        found.AddRange(type.GetFields(Declared).Select(f => f.FieldType));
        found.AddRange(type.GetProperties(Declared).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            found.AddRange(method.GetParameters().Select(p => p.ParameterType));
            if (method is MethodInfo info)
            {
                found.Add(info.ReturnType);
            }

            if (method.GetMethodBody() is not { } body)
            {
                continue;
            }

            found.AddRange(body.LocalVariables.Select(l => l.LocalType));
            foreach (var (_, member) in IlOperands.Of(method))
            {
                switch (member)
                {
                    case Type named:
                        found.Add(named);
                        break;
                    case FieldInfo field:
                        found.Add(field.DeclaringType);
                        found.Add(field.FieldType);
                        break;
                    case MethodBase called:
                        found.Add(called.DeclaringType);
                        found.AddRange(called.GetParameters().Select(p => p.ParameterType));
                        if (called is MethodInfo { IsGenericMethod: true } generic)
                        {
                            found.AddRange(generic.GetGenericArguments());
                        }

                        break;
                }
            }
        }

        return found.OfType<Type>().SelectMany(Expand).Distinct();
    }

    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.HasElementType)
        {
            return Expand(type.GetElementType()!);
        }

        if (type.IsGenericParameter)
        {
            return [];
        }

        return type.IsConstructedGenericType ? [type.GetGenericTypeDefinition(), .. type.GetGenericArguments().SelectMany(Expand)] : [type];
    }

    private sealed class Sample
    {
        public const int Value = 1;

        private readonly Uri _field = new("http://127.0.0.1/");

        public override string ToString() => new StringBuilder(_field.ToString()).Append(new List<Version>().Count).ToString();
    }

    /// <summary>The text with comments, string and character literals blanked out.</summary>
    private static string CodeOnly(string text)
    {
        var code = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            if (At(text, i, "//"))
            {
                i = text.IndexOf('\n', i) is var end and >= 0 ? end : text.Length;
            }
            else if (At(text, i, "/*"))
            {
                i = text.IndexOf("*/", i + 2, StringComparison.Ordinal) is var end and >= 0 ? end + 2 : text.Length;
            }
            else if (At(text, i, "\"\"\""))
            {
                var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                i = end >= 0 ? end + 3 : text.Length;
                while (i < text.Length && text[i] == '"')
                {
                    i++;
                }
            }
            else if (text[i] == '"')
            {
                var verbatim = i > 0 && text[i - 1] == '@' || i > 1 && text[i - 2] == '@';
                i++;
                while (i < text.Length && text[i] != '"' || verbatim && At(text, i, "\"\""))
                {
                    i += !verbatim && text[i] == '\\' || verbatim && At(text, i, "\"\"") ? 2 : 1;
                }

                i++;
            }
            else if (text[i] == '\'' && i + 2 < text.Length && (text[i + 2] == '\'' || text[i + 1] == '\\'))
            {
                i = text.IndexOf('\'', i + 2) + 1;
            }
            else
            {
                code.Append(text[i++]);
                continue;
            }

            code.Append(' ');
        }

        return code.ToString();
    }

    private static bool At(string text, int index, string what) => string.CompareOrdinal(text, index, what, 0, what.Length) == 0;

    [GeneratedRegex(@"(?<![\w.])([A-Z][A-Za-z0-9_]*)\.[A-Z]")]
    private static partial Regex Qualifier();
}
