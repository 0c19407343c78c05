using System.Runtime.InteropServices;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>Named pipes for tests of files that must never be opened in a way that blocks.</summary>
public static class Fifos
{
    /// <summary>Creates a FIFO nobody writes to (an ordinary open of it for reading waits forever) and returns its path.</summary>
    public static string Create(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        Assert.True(MkFifo(path, Convert.ToUInt32("600", 8)) == 0, $"mkfifo {path}: errno {Marshal.GetLastPInvokeError()}");
        return path;
    }

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in this project.
    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}
