namespace McProxy.Admin;

/// <summary>What a path names, without following a symbolic link (lstat).</summary>
internal enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Socket,
    Fifo,
    Device,
    Unknown,
}
