using System.Text;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// An HTTP/1.1 backend for pool tests that says who it is: <c>/who</c> answers its name; <c>/healthz</c> answers
/// <see cref="HealthStatus"/> (200 until a test sets another); <c>/slow</c> waits for <see cref="ReleaseSlow"/>, then
/// sends its name, a newline and <see cref="SlowBodyBytes"/> bytes of <see cref="HttpTestBackend.Pattern"/>. It counts
/// the requests that are not health checks, and can be stopped and started again on the same port.
/// </summary>
public sealed class NamedHttpBackend : IAsyncDisposable
{
    public const int SlowBodyBytes = 256 * 1024;

    private readonly TaskCompletionSource _slowGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HttpTestBackend? _http;
    private int _traffic;
    private int _slowStarted;
    private int _healthStatus = StatusCodes.Status200OK;

    private NamedHttpBackend(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Requests other than health checks that reached it, over every start.</summary>
    public int Traffic => Volatile.Read(ref _traffic);

    /// <summary><c>/slow</c> requests that reached it.</summary>
    public int SlowStarted => Volatile.Read(ref _slowStarted);

    /// <summary>The status <c>/healthz</c> answers.</summary>
    public int HealthStatus
    {
        get => Volatile.Read(ref _healthStatus);
        set => Volatile.Write(ref _healthStatus, value);
    }

    public static async Task<NamedHttpBackend> StartAsync(string name)
    {
        var backend = new NamedHttpBackend(name);
        await backend.StartAsync();
        return backend;
    }

    /// <summary>Listens (again) on its port; the first start takes an ephemeral one.</summary>
    public async Task StartAsync()
    {
        _http = await HttpTestBackend.StartAsync(BackendMode.Http1, configure: Configure, port: Port);
        Port = _http.EndPoint.Port;
    }

    /// <summary>Stops listening (a connect is refused from now on).</summary>
    public async Task StopAsync()
    {
        if (_http is { } http)
        {
            _http = null;
            await http.DisposeAsync();
        }
    }

    /// <summary>Lets every <c>/slow</c> request, waiting or still to come, answer.</summary>
    public void ReleaseSlow() => _slowGate.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        ReleaseSlow();
        await StopAsync();
    }

    private void Configure(WebApplication app)
    {
        app.MapGet("/healthz", context =>
        {
            context.Response.StatusCode = HealthStatus;
            return Task.CompletedTask;
        });
        app.MapGet("/who", context =>
        {
            Interlocked.Increment(ref _traffic);
            return context.Response.WriteAsync(Name);
        });
        app.MapGet("/slow", async context =>
        {
            Interlocked.Increment(ref _traffic);
            Interlocked.Increment(ref _slowStarted);
            await _slowGate.Task.WaitAsync(context.RequestAborted);
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(Name + "\n"), context.RequestAborted);
            await context.Response.Body.WriteAsync(HttpTestBackend.Pattern(SlowBodyBytes), context.RequestAborted);
        });
    }
}
