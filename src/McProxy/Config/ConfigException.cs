namespace McProxy.Config;

/// <summary>The config could not be used; <see cref="Errors"/> lists every problem found, each naming its key.</summary>
internal sealed class ConfigException : Exception
{
    public ConfigException(string path, IReadOnlyList<string> errors)
        : base($"{path}: {errors.Count} configuration error(s):{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
