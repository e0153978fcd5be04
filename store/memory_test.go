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
