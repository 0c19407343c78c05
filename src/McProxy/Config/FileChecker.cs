using McProxy.Model;

namespace McProxy.Config;

/// <summary>
/// Resolves paths named in the config against its directory, and loads and checks the files they name with
/// <see cref="FileRules"/> (the rules the admin API and the reloads use), each failure an error on its key. With
/// <paramref name="loadFiles"/> false (`status`, `snapshot`: they use none of these files) paths are only resolved, so
/// a certificate caught mid-renewal does not stop a backup, and the GeoIP database is not read for nothing.
/// </summary>
internal sealed class FileChecker(string baseDirectory, List<string> errors, bool loadFiles = true)
{
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    /// <summary>Resolves a path too long to be one as it is: the rule on its length reports it, and nothing opens it.</summary>
    public string ResolveOrKeep(string path) => path.Length == 0 || path.Length > RouteRules.MaxPathLength ? path : Resolve(path);

    /// <summary>Whether files are loaded and checked (see the class remarks).</summary>
    public bool LoadsFiles => loadFiles;

    /// <summary>Loads a certificate and its key as a pair (they must match); errors go on the key at fault.</summary>
    public void CertificatePair(TomlSection section, string certKey, string certPath, string keyKey, string keyPath)
    {
        if (!loadFiles)
        {
            return;
        }

        var found = new List<RuleError>();
        FileRules.LoadCertificate(certPath, certKey, keyPath, keyKey, found)?.Leaf.Dispose();
        foreach (var error in found)
        {
            Report(section, error);
        }
    }

    /// <summary>Loads a CA bundle, which must hold at least one certificate.</summary>
    public void CaBundle(TomlSection section, string key, string path)
    {
        if (!loadFiles)
        {
            return;
        }

        Report(section, FileRules.LoadCaBundle(path, key, out var error) is null ? error : null);
    }

    /// <summary>Opens a MaxMind database, as the firewall will at start.</summary>
    public void GeoIpDatabase(TomlSection section, string key, string path)
    {
        if (!loadFiles)
        {
            return;
        }

        using var reader = FileRules.OpenGeoIp(path, key, out var error);
        Report(section, error);
    }

    private void Report(TomlSection section, RuleError? error)
    {
        if (error is { } e)
        {
            errors.Add($"{section.Qualify(e.Field)}: {e.Message}");
        }
    }
}
