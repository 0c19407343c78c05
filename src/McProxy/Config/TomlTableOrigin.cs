namespace McProxy.Config;

/// <summary>How a TOML table came to be, which decides what may still add to it (TOML 1.0, "Table" and "Inline Table").</summary>
internal enum TomlTableOrigin
{
    /// <summary>Created only as a parent of a header such as <c>[a.b.c]</c>; a later <c>[a.b]</c> may still define it once.</summary>
    Implicit,

    /// <summary>Defined by its own <c>[header]</c> or as an element of <c>[[header]]</c>; never defined again.</summary>
    Header,

    /// <summary>Defined by dotted keys (<c>a.b = 1</c>); more dotted keys may add to it, a header may add sub-tables but not redefine it.</summary>
    Dotted,

    /// <summary>An inline table, or a table inside one: complete as written, nothing may add to it.</summary>
    Inline,
}
