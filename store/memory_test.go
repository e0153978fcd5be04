package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestMemory(tb testing.TB, opts ...MemoryOption) *Memory {
	m := NewMemory(opts...)
	tb.Cleanup(func() { _ = m.Close() })
	return m
}

func TestMemoryContract(t *testing.T) {
	runContract(t, func(t *testing.T) Store { return newTestMemory(t) })
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

func TestMemoryClockContract(t *testing.T) {
	runClockContract(t, func(t *testing.T) clockStore {
		c := &fakeClock{t: time.Now()}
		return clockStore{Store: newTestMemory(t, WithClock(c.Now)), set: c.Set}
	})
}

func TestMemorySweep(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m := newTestMemory(t, WithClock(c.Now))
	ctx := context.Background()
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		if _, err := m.RateLimit(ctx, k, 10, time.Second, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Quota(ctx, k, 10, time.Second, c.Now(), 1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.Acquire(ctx, k, 10, time.Second); err != nil {
			t.Fatal(err)
		}
		if err := m.CacheSet(ctx, k, []byte("v"), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	m.Sweep()
	if r, q, l, cc := m.Len(); r != 100 || q != 100 || l != 100 || cc != 100 {
		t.Fatalf("live entries swept: %d %d %d %d", r, q, l, cc)
	}
	// After one second quotas, leases and cache entries are dead, but the
	// rate counters still weigh in the next sub-window.
	c.Add(time.Second)
	m.Sweep()
	if r, q, l, cc := m.Len(); r != 100 || q != 0 || l != 0 || cc != 0 {
		t.Fatalf("after 1s: %d %d %d %d, want 100 0 0 0", r, q, l, cc)
	}
	c.Add(time.Second)
	m.Sweep()
	if r, q, l, cc := m.Len(); r+q+l+cc != 0 {
		t.Fatalf("after 2s: %d %d %d %d, want all swept", r, q, l, cc)
	}
}

func TestMemoryJanitor(t *testing.T) {
	m := NewMemory(WithSweepInterval(10 * time.Millisecond))
	if err := m.CacheSet(context.Background(), "k", []byte("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, _, _, cc := m.Len(); cc == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("janitor never swept the expired entry")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestMemoryRateLimitZeroAllocs(t *testing.T) {
	m := newTestMemory(t)
	ctx := context.Background()
	_, _ = m.RateLimit(ctx, "k", 1<<40, time.Minute, 1)
	allocs := testing.AllocsPerRun(1000, func() {
		_, _ = m.RateLimit(ctx, "k", 1<<40, time.Minute, 1)
	})
	if allocs != 0 {
		t.Fatalf("RateLimit allocates %v times per call on an existing key", allocs)
	}
}

func BenchmarkMemoryRateLimit(b *testing.B) {
	m := newTestMemory(b)
	const keys = 1024
	names := make([]string, keys)
	for i := range names {
		names[i] = "client:" + strconv.Itoa(i)
	}
	var seq atomic.Uint32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		i := int(seq.Add(7919))
		for pb.Next() {
			i++
			if _, err := m.RateLimit(ctx, names[i%keys], 1<<40, time.Minute, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkMemoryAcquire(b *testing.B) {
	m := newTestMemory(b)
	benchPerKey(b, func(ctx context.Context, key string) error {
		l, d, err := m.Acquire(ctx, key, 100, time.Minute)
		if err != nil || !d.Allowed {
			return fmt.Errorf("acquire: %+v %v", d, err)
		}
		_ = l.Release(ctx)
		return nil
	})
}

// benchPerKey runs op from parallel goroutines, each on its own key
// "bench:N"; a goroutine stops at op's first error, which fails b.
func benchPerKey(b *testing.B, op func(ctx context.Context, key string) error) {
	var id atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := "bench:" + strconv.FormatInt(id.Add(1), 10)
		ctx := context.Background()
		for pb.Next() {
			if err := op(ctx, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestMemoryCacheBounded: keys a client chooses cannot grow the cache past
// its budget: past it, expired entries go first, then others; the value
// just written stays (unless it alone is over a shard's share), and lists
// count too.
func TestMemoryCacheBounded(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	m := NewMemory(WithCacheBytes(64<<10), WithClock(func() time.Time { return now })) // 1 KiB a shard
	defer m.Close()
	ctx := context.Background()
	val := make([]byte, 200)
	held := func() (n int64) {
		for i := range m.shards {
			s := &m.shards[i]
			s.mu.Lock()
			for k, e := range s.cache {
				n += int64(len(k)+len(e.val)) + entryOverhead
			}
			for k, l := range s.lists {
				n += l.size(k)
			}
			s.mu.Unlock()
		}
		return n
	}
	for i := 0; i < 5000; i++ {
		key := fmt.Sprintf("attacker-chosen-%d", i)
		if err := m.CacheSet(ctx, key, val, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := m.CacheGet(ctx, key); !ok {
			t.Fatalf("the value just written (%s) was evicted", key)
		}
		if err := m.CacheListPush(ctx, "list-"+key, val, time.Hour, 10); err != nil {
			t.Fatal(err)
		}
	}
	if n := held(); n > 64<<10 {
		t.Fatalf("the cache holds %d bytes, over its budget of %d", n, 64<<10)
	}
	// A value over a shard's share is not kept.
	if err := m.CacheSet(ctx, "huge", make([]byte, 4<<10), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := m.CacheGet(ctx, "huge"); ok {
		t.Error("a value over the shard's budget was kept")
	}
	// Expired entries go before live ones.
	m2 := NewMemory(WithCacheBytes(64<<10), WithClock(func() time.Time { return now }))
	defer m2.Close()
	key := func(i int) string { return fmt.Sprintf("k%d", i) }
	shard0 := func(k string) bool { return m2.shard(k) == &m2.shards[0] }
	var live, dead []string
	for i := 0; len(live) < 2 || len(dead) < 1; i++ {
		if k := key(i); shard0(k) {
			if len(live) < 2 {
				live = append(live, k)
			} else {
				dead = append(dead, k)
			}
		}
	}
	for _, k := range live {
		m2.CacheSet(ctx, k, val, time.Hour)
	}
	for _, k := range dead {
		m2.CacheSet(ctx, k, val, time.Millisecond)
	}
	now = now.Add(time.Second) // the dead one expires
	for i := 0; ; i++ {        // one more write takes shard 0 past its budget
		if k := key(100000 + i); shard0(k) {
			m2.CacheSet(ctx, k, val, time.Hour)
			break
		}
	}
	for _, k := range live {
		if _, ok, _ := m2.CacheGet(ctx, k); !ok {
			t.Errorf("live %s went while expired ones were there", k)
		}
	}
}
