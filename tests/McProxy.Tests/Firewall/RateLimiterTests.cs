using System.Net;
using McProxy.Firewall;
using McProxy.Tests.TestInfrastructure;

namespace McProxy.Tests.Firewall;

[UnitTest]
public sealed class RateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void TryAcquire_OverTheLimit_IsRefusedUntilTheWindowEnds()
    {
        var time = new ManualTimeProvider();
        var limiter = new RateLimiter(3, TimeSpan.FromSeconds(10), time: time);

        Assert.True(limiter.TryAcquire(Client));
        Assert.True(limiter.TryAcquire(Client));
        Assert.True(limiter.TryAcquire(Client));
        Assert.False(limiter.TryAcquire(Client));
        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(limiter.TryAcquire(Client));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(limiter.TryAcquire(Client));
        Assert.True(limiter.TryAcquire(Client));
        Assert.True(limiter.TryAcquire(Client));
        Assert.False(limiter.TryAcquire(Client));
    }

    [Fact]
    public void TryAcquire_RefusedAttempts_DoNotExtendTheWindow()
    {
        var time = new ManualTimeProvider();
        var limiter = new RateLimiter(1, TimeSpan.FromSeconds(10), time: time);

        Assert.True(limiter.TryAcquire(Client));
        for (var i = 0; i < 9; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Assert.False(limiter.TryAcquire(Client));
        }

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(Client));
    }

    [Fact]
    public void TryAcquire_CountsEachAddressApart_AndAMappedIPv4AsIPv4()
    {
        var limiter = new RateLimiter(1, TimeSpan.FromSeconds(10), time: new ManualTimeProvider());

        Assert.True(limiter.TryAcquire(Client));
        Assert.False(limiter.TryAcquire(IPAddress.Parse("::ffff:192.0.2.10")));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("192.0.2.11")));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("2001:db8::10")));
        Assert.False(limiter.TryAcquire(IPAddress.Parse("2001:db8::10")));
    }

    [Fact]
    public void TryAcquire_ManyMoreAddressesThanSlots_TableStaysAtItsCapacity_AndNewAddressesAreStillAdmitted()
    {
        var time = new ManualTimeProvider();
        var limiter = new RateLimiter(2, TimeSpan.FromMinutes(1), capacity: 64, time: time);
        var bytes = new byte[16];
        bytes[0] = 0x20;
        bytes[1] = 0x01;

        for (var i = 0; i < 100_000; i++)
        {
            bytes[12] = (byte)(i >> 24);
            bytes[13] = (byte)(i >> 16);
            bytes[14] = (byte)(i >> 8);
            bytes[15] = (byte)i;
            Assert.True(limiter.TryAcquire(new IPAddress(bytes)));
            if (i % 1000 == 0)
            {
                Assert.InRange(limiter.CountTracked(), 1, limiter.Capacity);
            }
        }

        Assert.Equal(64, limiter.Capacity);
        Assert.Equal(64, limiter.CountTracked());

        // A full table admits a newcomer (it never fails closed), and counts it from then on.
        Assert.True(limiter.TryAcquire(Client));
        Assert.True(limiter.TryAcquire(Client));
        Assert.False(limiter.TryAcquire(Client));
    }

    [Fact]
    public void TryAcquire_FullSet_EvictsAnEndedWindowBeforeALiveOne()
    {
        var time = new ManualTimeProvider();
        // One set: every address shares the same eight slots.
        var limiter = new RateLimiter(1, TimeSpan.FromSeconds(10), capacity: RateLimiter.Ways, time: time);
        Assert.True(limiter.TryAcquire(Client));
        time.Advance(TimeSpan.FromSeconds(5));
        for (var i = 1; i <= RateLimiter.Ways - 1; i++)
        {
            Assert.True(limiter.TryAcquire(IPAddress.Parse($"198.51.100.{i}")));
        }

        // The client's window ends; the others' are live. A newcomer must take the client's slot.
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("203.0.113.1")));

        for (var i = 1; i <= RateLimiter.Ways - 1; i++)
        {
            Assert.False(limiter.TryAcquire(IPAddress.Parse($"198.51.100.{i}")));
        }
    }
}
