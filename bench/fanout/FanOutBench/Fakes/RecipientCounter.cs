using System.Collections.Concurrent;
using System.Diagnostics;

namespace FanOutBench.Fakes;

/// <summary>
/// What one fake provider received since the last <see cref="Reset"/>: requests, recipients total
/// and unique, and the monotonic time (<see cref="Stopwatch.GetTimestamp"/>, the driver's clock:
/// same process) of the first and the last request. Recipients of the bench's address scheme are
/// counted one by one (how many times each was reached, and when first), so the fault suite can
/// tell a lost recipient from a repeated one and date every repeat; anything else (never
/// expected) goes in a dictionary.
/// </summary>
public sealed class RecipientCounter(string channel)
{
    private int[] _counts = [];
    private long[] _firstSeen = [];
    private ConcurrentQueue<Repeat> _repeats = new();
    private int _capacity;
    private long _requests;
    private long _recipients;
    private long _unique;
    private long _duplicates;
    private long _bytes;
    private long _rejected;
    private long _firstTicks;
    private long _lastTicks;
    private int _inFlight;
    private int _maxInFlight;
    private ConcurrentDictionary<string, int> _foreign = new();

    public string Channel { get; } = channel;

    /// <summary>Forgets everything; addresses 0..capacity-1 of the scheme are tracked exactly.</summary>
    public void Reset(int capacity)
    {
        _capacity = capacity;
        _counts = new int[capacity];
        _firstSeen = new long[capacity];
        _repeats = new ConcurrentQueue<Repeat>();
        _foreign = new ConcurrentDictionary<string, int>();
        _requests = _recipients = _unique = _duplicates = _bytes = _rejected = _firstTicks = _lastTicks = 0;
        _maxInFlight = 0;
    }

    public long Requests => Interlocked.Read(ref _requests);
    public long Recipients => Interlocked.Read(ref _recipients);
    public long Unique => Interlocked.Read(ref _unique);
    public long Duplicates => Interlocked.Read(ref _duplicates);
    public long Foreign => _foreign.Values.Sum();
    public long Bytes => Interlocked.Read(ref _bytes);
    public long Rejected => Interlocked.Read(ref _rejected);
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);
    public long FirstTicks => Interlocked.Read(ref _firstTicks);
    public long LastTicks => Interlocked.Read(ref _lastTicks);
    public IReadOnlyList<string> ForeignSample => _foreign.Keys.Take(5).ToList();

    public IDisposable Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int max;
        while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
        {
        }
        return new Leave(this);
    }

    /// <summary>A request whose body has been read completely: stamps the time.</summary>
    public void Request(long bytes)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.CompareExchange(ref _firstTicks, now, 0);
        long last;
        while (now > (last = Interlocked.Read(ref _lastTicks)) && Interlocked.CompareExchange(ref _lastTicks, now, last) != last)
        {
        }
    }

    public void Reject() => Interlocked.Increment(ref _rejected);

    /// <param name="index">The address's index in the bench scheme, or -1.</param>
    public void Recipient(int index, string address)
    {
        Interlocked.Increment(ref _recipients);
        var counts = _counts;
        if (index < 0 || index >= counts.Length)
        {
            _foreign.AddOrUpdate(address, 1, (_, n) => n + 1);
            return;
        }
        var now = Stopwatch.GetTimestamp();
        var times = Interlocked.Increment(ref counts[index]);
        if (times == 1)
        {
            Volatile.Write(ref _firstSeen[index], now);
            Interlocked.Increment(ref _unique);
        }
        else
        {
            Interlocked.Increment(ref _duplicates);
            _repeats.Enqueue(new Repeat(index, times, Volatile.Read(ref _firstSeen[index]), now));
        }
    }

    /// <summary>Recipients reached fewer than <paramref name="expected"/> times (the shortfall summed).</summary>
    public long Missing(int expected = 1) => _counts.Sum(c => (long)Math.Max(0, expected - c));

    /// <summary>Times recipients were reached beyond <paramref name="expected"/>.</summary>
    public long Extra(int expected = 1) => _counts.Sum(c => (long)Math.Max(0, c - expected));

    /// <summary>Every repeated arrival: which recipient, its how-many-th arrival, when it was first reached and when again.</summary>
    public IReadOnlyList<Repeat> Repeats => _repeats.ToList();

    public CounterSnapshot Snapshot() => new(Channel, Requests, Recipients, Unique, Duplicates, Foreign, Rejected, Bytes, MaxInFlight, ForeignSample);

    private sealed class Leave(RecipientCounter counter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref counter._inFlight);
    }
}

/// <param name="FirstTicks">When the recipient was first reached (<see cref="Stopwatch.GetTimestamp"/>).</param>
public sealed record Repeat(int Index, int Arrival, long FirstTicks, long Ticks);

public sealed record CounterSnapshot(string Channel, long Requests, long Recipients, long Unique, long Duplicates, long Foreign,
    long Rejected, long Bytes, int MaxInFlight, IReadOnlyList<string> ForeignSample);
