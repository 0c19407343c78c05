namespace McProxy.Config;

/// <summary>Resolves paths named in the config against its directory and reports files that cannot be read.</summary>
internal sealed class FileChecker(string baseDirectory, List<string> errors)
{
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    /// <summary>Returns the resolved path, or "" when <paramref name="path"/> is empty; a missing file is an error on <paramref name="key"/>.</summary>
    public string Check(TomlSection section, string key, string path)
    {
        if (path.Length == 0)
        {
            return "";
        }

        var resolved = Resolve(path);
        if (!File.Exists(resolved))
        {
            errors.Add($"{section.Qualify(key)}: file \"{resolved}\" does not exist");
        }

        return resolved;
    }
}
