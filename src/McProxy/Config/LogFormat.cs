namespace McProxy.Config;

/// <summary><c>[log] format</c> (SPEC §3): how each line is written to standard output.</summary>
internal enum LogFormat
{
    /// <summary>Text when standard output is a terminal (a person is watching), JSON otherwise (journald, a pipe, a file).</summary>
    Auto,

    /// <summary>One JSON object a line, for log shippers and <c>jq</c>.</summary>
    Json,

    /// <summary>One short line per event, for people.</summary>
    Text,
}
