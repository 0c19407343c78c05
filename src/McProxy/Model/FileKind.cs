namespace McProxy.Model;

/// <summary>What a path or a descriptor names, as statx reports it (see <see cref="FileStatus"/>).</summary>
internal enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Socket,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Unknown,
}
