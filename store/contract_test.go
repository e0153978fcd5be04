package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The contract suites run unchanged against Memory and Redis (see
// TestMemoryContract and TestRedisContract). Timing assertions only ever
// bound from one side with generous margins: a late test (race detector,
// loaded 2-core CI box) can only make windows slide further, and every
// property asserted stays true when time passes.

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustRate(t testing.TB, s Store, key string, limit int64, window time.Duration, n int64) Decision {
	t.Helper()
	d, err := s.RateLimit(ctxT(t), key, limit, window, n)
	if err != nil {
		t.Fatalf("RateLimit(%q): %v", key, err)
	}
	if d.Limit != limit {
		t.Fatalf("RateLimit(%q).Limit = %d, want %d", key, d.Limit, limit)
	}
	if !d.Allowed && d.RetryAfter <= 0 {
		t.Fatalf("RateLimit(%q) rejected with RetryAfter %v, want > 0", key, d.RetryAfter)
	}
	return d
}

func mustQuota(t testing.TB, s Store, key string, limit int64, period time.Duration, start time.Time, n int64) Decision {
	t.Helper()
	d, err := s.Quota(ctxT(t), key, limit, period, start, n)
	if err != nil {
		t.Fatalf("Quota(%q): %v", key, err)
	}
	if !d.Allowed && d.RetryAfter <= 0 {
		t.Fatalf("Quota(%q) rejected with RetryAfter %v, want > 0", key, d.RetryAfter)
	}
	return d
}

func mustAcquire(t testing.TB, s Store, key string, maxLeases int64, ttl time.Duration) (Lease, Decision) {
	t.Helper()
	l, d, err := s.Acquire(ctxT(t), key, maxLeases, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", key, err)
	}
	if d.Allowed != (l != nil) {
		t.Fatalf("Acquire(%q): Allowed=%v but lease=%v", key, d.Allowed, l)
	}
	if !d.Allowed && d.RetryAfter <= 0 {
		t.Fatalf("Acquire(%q) rejected with RetryAfter %v, want > 0", key, d.RetryAfter)
	}
	return l, d
}

// runContract is the real-time contract suite. newStore returns a fresh
// store; keys are unique per subtest so stores may share a backend.
func runContract(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("RateLimitAdmitsExactlyLimit", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const limit = 5
		for i := range limit {
			d := mustRate(t, s, key, limit, time.Minute, 1)
			if !d.Allowed || d.Remaining != int64(limit-1-i) {
				t.Fatalf("call %d: %+v, want allowed with remaining %d", i+1, d, limit-1-i)
			}
		}
		for i := range 3 {
			d := mustRate(t, s, key, limit, time.Minute, 1)
			if d.Allowed || d.Remaining != 0 {
				t.Fatalf("call %d over the limit: %+v, want rejected with remaining 0", limit+1+i, d)
			}
			if d.RetryAfter > 2*time.Minute {
				t.Fatalf("RetryAfter %v exceeds two windows", d.RetryAfter)
			}
		}
		if d := mustRate(t, s, key+"/other", limit, time.Minute, 1); !d.Allowed {
			t.Fatalf("another key shares the counter: %+v", d)
		}
	})

	t.Run("RateLimitCheckOnly", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		for range 10 {
			if d := mustRate(t, s, key, 3, time.Minute, 0); !d.Allowed || d.Remaining != 3 {
				t.Fatalf("n=0 on a fresh key: %+v, want allowed, remaining 3", d)
			}
		}
		for range 3 {
			if d := mustRate(t, s, key, 3, time.Minute, 1); !d.Allowed {
				t.Fatalf("n=0 checks were counted: %+v", d)
			}
		}
		if d := mustRate(t, s, key, 3, time.Minute, 0); d.Allowed {
			t.Fatalf("n=0 at the limit: %+v, want rejected", d)
		}
	})

	t.Run("RateLimitRejectedNotCounted", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		if d := mustRate(t, s, key, 10, time.Minute, 8); !d.Allowed || d.Remaining != 2 {
			t.Fatalf("n=8: %+v", d)
		}
		for range 5 {
			if d := mustRate(t, s, key, 10, time.Minute, 5); d.Allowed || d.Remaining != 2 {
				t.Fatalf("n=5 over the limit: %+v, want rejected with remaining 2", d)
			}
		}
		if d := mustRate(t, s, key, 10, time.Minute, 2); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("n=2 after rejections: %+v, want allowed (rejections must not count)", d)
		}
		if d := mustRate(t, s, key, 10, time.Minute, 1); d.Allowed {
			t.Fatalf("call past the limit: %+v", d)
		}
	})

	t.Run("RateLimitSlides", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const limit, window = 4, 300 * time.Millisecond
		for range limit {
			mustRate(t, s, key, limit, window, 1)
		}
		d := mustRate(t, s, key, limit, window, 1)
		if d.Allowed {
			// Only possible if the test thread stalled for a good part of
			// a window between calls; not a store bug.
			t.Skipf("test stalled across the window; cannot observe the rejection")
		}
		if d.RetryAfter > 2*window {
			t.Fatalf("RetryAfter %v exceeds two windows", d.RetryAfter)
		}
		// The estimate never grows without admissions, so after RetryAfter
		// (plus a little for clock rounding) the next call must be admitted.
		time.Sleep(d.RetryAfter + 20*time.Millisecond)
		if d2 := mustRate(t, s, key, limit, window, 1); !d2.Allowed {
			t.Fatalf("not admitted after sleeping RetryAfter=%v: %+v", d.RetryAfter, d2)
		}
		// Two full windows later everything has slid out.
		time.Sleep(2*window + 50*time.Millisecond)
		for i := range limit {
			if d := mustRate(t, s, key, limit, window, 1); !d.Allowed {
				t.Fatalf("call %d after two idle windows: %+v", i+1, d)
			}
		}
	})

	t.Run("QuotaWindows", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const period = 400 * time.Millisecond
		start := time.Now().Add(-time.Hour)
		for i := range 3 {
			if d := mustQuota(t, s, key, 3, period, start, 1); !d.Allowed || d.Remaining != int64(2-i) {
				t.Fatalf("call %d: %+v", i+1, d)
			}
		}
		d := mustQuota(t, s, key, 3, period, start, 1)
		if d.Allowed {
			t.Skipf("test stalled across the period; cannot observe the rejection")
		}
		if d.RetryAfter > period {
			t.Fatalf("RetryAfter %v exceeds the period %v", d.RetryAfter, period)
		}
		time.Sleep(d.RetryAfter + 20*time.Millisecond)
		if d := mustQuota(t, s, key, 3, period, start, 1); !d.Allowed || d.Remaining != 2 {
			t.Fatalf("new window: %+v, want allowed with remaining 2", d)
		}
	})

	t.Run("QuotaAlignment", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		// Windows start at start + k*period: with start 59.5s ago and a 60s
		// period the current window ends within half a second.
		start := time.Now().Add(-59500 * time.Millisecond)
		mustQuota(t, s, key, 1, time.Minute, start, 1)
		d := mustQuota(t, s, key, 1, time.Minute, start, 1)
		if d.Allowed {
			t.Skip("test stalled past the window end")
		}
		if d.RetryAfter > 500*time.Millisecond {
			t.Fatalf("RetryAfter %v, want <= 500ms (next window start)", d.RetryAfter)
		}
		// n=0 only checks, n larger than what is left is refused uncounted.
		k2 := key + "/n"
		mustQuota(t, s, k2, 10, time.Hour, start, 7)
		if d := mustQuota(t, s, k2, 10, time.Hour, start, 4); d.Allowed || d.Remaining != 3 {
			t.Fatalf("n=4 with 3 left: %+v", d)
		}
		if d := mustQuota(t, s, k2, 10, time.Hour, start, 0); !d.Allowed || d.Remaining != 3 {
			t.Fatalf("n=0: %+v", d)
		}
		if d := mustQuota(t, s, k2, 10, time.Hour, start, 3); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("n=3 with 3 left: %+v", d)
		}
		if d := mustQuota(t, s, k2, 10, time.Hour, start, 0); d.Allowed {
			t.Fatalf("n=0 with nothing left: %+v", d)
		}
	})

	t.Run("AcquireMaxUnderConcurrency", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const maxLeases, workers = 5, 50
		var active, peak, done atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		deadline := time.Now().Add(20 * time.Second)
		for range workers {
			wg.Go(func() {
				ctx := context.Background()
				for time.Now().Before(deadline) {
					l, d, err := s.Acquire(ctx, key, maxLeases, 10*time.Second)
					if err != nil {
						errs <- err
						return
					}
					if !d.Allowed {
						if d.RetryAfter <= 0 {
							errs <- fmt.Errorf("rejected with RetryAfter %v", d.RetryAfter)
							return
						}
						time.Sleep(time.Millisecond)
						continue
					}
					a := active.Add(1)
					for p := peak.Load(); a > p && !peak.CompareAndSwap(p, a); p = peak.Load() {
					}
					time.Sleep(2 * time.Millisecond)
					active.Add(-1)
					if err := l.Release(ctx); err != nil {
						errs <- err
						return
					}
					done.Add(1)
					return
				}
				errs <- errors.New("never acquired a slot")
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if p := peak.Load(); p > maxLeases || p < 1 {
			t.Fatalf("peak concurrent holders %d, want 1..%d", p, maxLeases)
		}
		if done.Load() != workers {
			t.Fatalf("%d of %d workers got a slot", done.Load(), workers)
		}
		// Everything released: all slots free again.
		for range maxLeases {
			if _, d := mustAcquire(t, s, key, maxLeases, time.Second); !d.Allowed {
				t.Fatalf("slot still taken after every release: %+v", d)
			}
		}
	})

	t.Run("AcquireReleaseFrees", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		ctx := ctxT(t)
		a, d := mustAcquire(t, s, key, 2, time.Minute)
		if !d.Allowed || d.Remaining != 1 || d.Limit != 2 {
			t.Fatalf("first: %+v", d)
		}
		b, d := mustAcquire(t, s, key, 2, time.Minute)
		if !d.Allowed || d.Remaining != 0 {
			t.Fatalf("second: %+v", d)
		}
		if _, d := mustAcquire(t, s, key, 2, time.Minute); d.Allowed || d.RetryAfter > time.Minute {
			t.Fatalf("third: %+v, want rejected with 0 < RetryAfter <= ttl", d)
		}
		if err := a.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Release(ctx); err != nil {
			t.Fatalf("second Release: %v (must be idempotent)", err)
		}
		c, d := mustAcquire(t, s, key, 2, time.Minute)
		if !d.Allowed {
			t.Fatalf("after release: %+v", d)
		}
		// The double release must not have freed b's slot.
		if _, d := mustAcquire(t, s, key, 2, time.Minute); d.Allowed {
			t.Fatalf("double release freed a second slot: %+v", d)
		}
		if err := a.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("Renew after Release: %v, want ErrLeaseLost", err)
		}
		if err := b.Renew(ctx); err != nil {
			t.Fatalf("Renew of a live lease: %v", err)
		}
		_ = b.Release(ctx)
		_ = c.Release(ctx)
	})

	t.Run("AcquireExpiryFrees", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const ttl = 300 * time.Millisecond
		l, _ := mustAcquire(t, s, key, 1, ttl)
		_, d := mustAcquire(t, s, key, 1, ttl)
		if d.Allowed {
			t.Skip("test stalled past the lease ttl")
		}
		if d.RetryAfter > ttl {
			t.Fatalf("RetryAfter %v, want <= ttl %v", d.RetryAfter, ttl)
		}
		time.Sleep(d.RetryAfter + 20*time.Millisecond)
		if _, d := mustAcquire(t, s, key, 1, ttl); !d.Allowed {
			t.Fatalf("expired lease still holds the slot: %+v", d)
		}
		if err := l.Renew(ctxT(t)); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("Renew after expiry: %v, want ErrLeaseLost", err)
		}
		if err := l.Release(ctxT(t)); err != nil {
			t.Fatalf("Release after expiry: %v", err)
		}
	})

	t.Run("AcquireRenewKeeps", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const ttl = time.Second
		l, _ := mustAcquire(t, s, key, 1, ttl)
		// Renew at ttl/10 for 1.5 ttl: the lease must outlive its first ttl.
		for range 15 {
			time.Sleep(ttl / 10)
			if err := l.Renew(ctxT(t)); err != nil {
				t.Fatalf("Renew: %v", err)
			}
		}
		if _, d := mustAcquire(t, s, key, 1, ttl); d.Allowed {
			t.Fatalf("renewed lease lost its slot: %+v", d)
		}
		_ = l.Release(ctxT(t))
	})

	t.Run("Cache", func(t *testing.T) {
		s := newStore(t)
		ctx := ctxT(t)
		key := t.Name()
		if _, ok, err := s.CacheGet(ctx, key); err != nil || ok {
			t.Fatalf("get missing: ok=%v err=%v", ok, err)
		}
		val := []byte("hello\x00world")
		if err := s.CacheSet(ctx, key, val, time.Minute); err != nil {
			t.Fatal(err)
		}
		val[0] = 'J' // the store must have kept its own copy
		got, ok, err := s.CacheGet(ctx, key)
		if err != nil || !ok || !bytes.Equal(got, []byte("hello\x00world")) {
			t.Fatalf("get: %q ok=%v err=%v", got, ok, err)
		}
		if err := s.CacheSet(ctx, key, []byte{}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.CacheGet(ctx, key); err != nil || !ok || len(got) != 0 {
			t.Fatalf("get empty value: %q ok=%v err=%v", got, ok, err)
		}
		if err := s.CacheDelete(ctx, key); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.CacheGet(ctx, key); ok {
			t.Fatal("value survived CacheDelete")
		}
		if err := s.CacheDelete(ctx, key); err != nil {
			t.Fatalf("delete missing: %v", err)
		}
		if err := s.CacheSet(ctx, key, []byte("x"), 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, ok, _ := s.CacheGet(ctx, key); ok {
			t.Fatal("value outlived its ttl")
		}
		if err := s.CacheSet(ctx, key, []byte("x"), 0); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("ttl 0: %v, want ErrInvalidArgument", err)
		}
	})

	t.Run("CacheTake", func(t *testing.T) {
		s := newStore(t)
		ctx := ctxT(t)
		key := t.Name()
		if _, ok, err := s.CacheTake(ctx, key); err != nil || ok {
			t.Fatalf("take missing: ok=%v err=%v", ok, err)
		}
		if err := s.CacheSet(ctx, key, []byte("once\x00only"), time.Minute); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.CacheTake(ctx, key)
		if err != nil || !ok || !bytes.Equal(got, []byte("once\x00only")) {
			t.Fatalf("take: %q ok=%v err=%v", got, ok, err)
		}
		if _, ok, err := s.CacheTake(ctx, key); err != nil || ok {
			t.Fatalf("second take: ok=%v err=%v, want a miss", ok, err)
		}
		if _, ok, _ := s.CacheGet(ctx, key); ok {
			t.Fatal("value survived CacheTake")
		}
		if err := s.CacheSet(ctx, key, []byte{}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.CacheTake(ctx, key); err != nil || !ok || len(got) != 0 {
			t.Fatalf("take empty value: %q ok=%v err=%v", got, ok, err)
		}
		if err := s.CacheSet(ctx, key, []byte("x"), 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, ok, _ := s.CacheTake(ctx, key); ok {
			t.Fatal("took a value after its ttl")
		}

		// Many concurrent takers of one value: exactly one gets it.
		for round := range 20 {
			k := fmt.Sprintf("%s-%d", key, round)
			if err := s.CacheSet(ctx, k, []byte("v"), time.Minute); err != nil {
				t.Fatal(err)
			}
			var wins atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if _, ok, err := s.CacheTake(ctx, k); err != nil {
						t.Error(err)
					} else if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("round %d: %d takers got the value, want exactly 1", round, n)
			}
		}
	})

	t.Run("CacheList", func(t *testing.T) {
		s := newStore(t)
		ctx := ctxT(t)
		key := t.Name()
		if got, err := s.CacheList(ctx, key); err != nil || len(got) != 0 {
			t.Fatalf("missing list: %q err=%v", got, err)
		}
		val := []byte("v0:\x00bin")
		if err := s.CacheListPush(ctx, key, val, time.Minute, 3); err != nil {
			t.Fatal(err)
		}
		val[0] = 'J' // the store must have kept its own copy
		for i := 1; i <= 4; i++ {
			if err := s.CacheListPush(ctx, key, []byte(fmt.Sprintf("v%d:\x00bin", i)), time.Minute, 3); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.CacheList(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || string(got[0]) != "v4:\x00bin" || string(got[1]) != "v3:\x00bin" || string(got[2]) != "v2:\x00bin" {
			t.Fatalf("list = %q, want the 3 newest, newest first", got)
		}
		// A smaller max (a config reload) cuts the list at the next push.
		if err := s.CacheListPush(ctx, key, []byte("v5"), time.Minute, 1); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CacheList(ctx, key); err != nil || len(got) != 1 || string(got[0]) != "v5" {
			t.Fatalf("after max 1: %q err=%v", got, err)
		}
		if err := s.CacheListPush(ctx, key, []byte("x"), 0, 3); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("ttl 0: %v, want ErrInvalidArgument", err)
		}
		if err := s.CacheListPush(ctx, key, []byte("x"), time.Minute, 0); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("max 0: %v, want ErrInvalidArgument", err)
		}
		// A list and a value may share a key: they are different kinds.
		if err := s.CacheSet(ctx, key, []byte("value"), time.Minute); err != nil {
			t.Fatal(err)
		}
		if got, err := s.CacheList(ctx, key); err != nil || len(got) != 1 {
			t.Fatalf("list beside a value: %q err=%v", got, err)
		}
	})

	t.Run("InvalidArguments", func(t *testing.T) {
		s := newStore(t)
		ctx := ctxT(t)
		if _, err := s.RateLimit(ctx, "k", 0, time.Second, 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("limit 0: %v", err)
		}
		if _, err := s.RateLimit(ctx, "k", 1, 0, 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("window 0: %v", err)
		}
		if _, err := s.RateLimit(ctx, "k", 1, time.Second, -1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("n -1: %v", err)
		}
		if _, err := s.Quota(ctx, "k", 1, 0, time.Now(), 1); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("period 0: %v", err)
		}
		if _, _, err := s.Acquire(ctx, "k", 0, time.Second); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("max 0: %v", err)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.RateLimit(ctx, t.Name(), 1, time.Second, 1)
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled ctx: %v, want ErrUnavailable and context.Canceled", err)
		}
	})
}

// clockStore is a store whose notion of time the test controls.
type clockStore struct {
	Store
	set func(time.Time)
}

// runClockContract checks the exact arithmetic of the algorithms with a fake
// clock, the same expected figures for every store: this is what makes the
// Lua scripts and the Go code provably agree.
func runClockContract(t *testing.T, newStore func(t *testing.T) clockStore) {
	// base is a multiple of 10s (sub-windows are aligned to the Unix epoch).
	base := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) time.Time { return base.Add(d) }

	t.Run("SlidingWindow", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const limit, w = 10, 10 * time.Second
		s.set(at(0))
		for i := range limit {
			if d := mustRate(t, s, key, limit, w, 1); !d.Allowed || d.Remaining != int64(limit-1-i) {
				t.Fatalf("call %d: %+v", i+1, d)
			}
		}
		// cur=10, prev=0: admissible once the next sub-window is 10% in.
		d := mustRate(t, s, key, limit, w, 1)
		if d.Allowed || d.RetryAfter != 11*time.Second {
			t.Fatalf("over the limit: %+v, want RetryAfter 11s", d)
		}
		// A fixed window would reset at 10s; the sliding one does not.
		s.set(at(10 * time.Second))
		if d := mustRate(t, s, key, limit, w, 1); d.Allowed || d.RetryAfter != time.Second {
			t.Fatalf("at 10s: %+v, want rejected, RetryAfter 1s", d)
		}
		s.set(at(10999 * time.Millisecond))
		if d := mustRate(t, s, key, limit, w, 1); d.Allowed || d.RetryAfter != time.Millisecond {
			t.Fatalf("at 10.999s: %+v, want rejected, RetryAfter 1ms", d)
		}
		s.set(at(11 * time.Second))
		// estimate = 10*0.9 + 0 = 9, +1 fits exactly.
		if d := mustRate(t, s, key, limit, w, 1); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("at 11s: %+v, want allowed, remaining 0", d)
		}
		// prev=10, cur=1: 10*(1-f)+1+1 <= 10 at f=0.2, i.e. 1s from now.
		d = mustRate(t, s, key, limit, w, 1)
		if d.Allowed || d.RetryAfter != time.Second {
			t.Fatalf("at 11s again: %+v, want RetryAfter 1s", d)
		}
		s.set(at(15 * time.Second))
		// estimate = 10*0.5 + 1 = 6: a check says 4 left, n=5 is refused.
		if d := mustRate(t, s, key, limit, w, 0); !d.Allowed || d.Remaining != 4 {
			t.Fatalf("check at 15s: %+v, want remaining 4", d)
		}
		if d := mustRate(t, s, key, limit, w, 5); d.Allowed || d.Remaining != 4 {
			t.Fatalf("n=5 at 15s: %+v", d)
		}
		if d := mustRate(t, s, key, limit, w, 4); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("n=4 at 15s: %+v", d)
		}
		// Two sub-windows after the last admission everything is gone.
		s.set(at(30 * time.Second))
		if d := mustRate(t, s, key, limit, w, 10); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("n=10 at 30s: %+v", d)
		}
		// More than the limit can never be admitted; RetryAfter is one window.
		if d := mustRate(t, s, key+"/big", limit, w, limit+1); d.Allowed || d.RetryAfter != w {
			t.Fatalf("n > limit: %+v", d)
		}
	})

	t.Run("Quota", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		const period = 10 * time.Second
		start := at(3 * time.Second)
		s.set(at(5 * time.Second))
		for range 2 {
			mustQuota(t, s, key, 2, period, start, 1)
		}
		if d := mustQuota(t, s, key, 2, period, start, 1); d.Allowed || d.RetryAfter != 8*time.Second || d.Remaining != 0 {
			t.Fatalf("over quota: %+v, want RetryAfter 8s", d)
		}
		s.set(at(12999 * time.Millisecond))
		if d := mustQuota(t, s, key, 2, period, start, 1); d.Allowed || d.RetryAfter != time.Millisecond {
			t.Fatalf("1ms before the window: %+v", d)
		}
		s.set(at(13 * time.Second))
		if d := mustQuota(t, s, key, 2, period, start, 1); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("new window: %+v", d)
		}
		// A start in the future still aligns windows on start + k*period.
		k2 := key + "/future"
		fut := at(100 * time.Second)
		mustQuota(t, s, k2, 1, period, fut, 1)
		if d := mustQuota(t, s, k2, 1, period, fut, 1); d.Allowed || d.RetryAfter != 7*time.Second {
			t.Fatalf("future start: %+v, want RetryAfter 7s", d)
		}
		// Changing the period (a config reload) starts a fresh count.
		if d := mustQuota(t, s, key, 2, 2*period, start, 1); !d.Allowed || d.Remaining != 1 {
			t.Fatalf("new period: %+v", d)
		}
	})

	t.Run("Leases", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		ctx := ctxT(t)
		const ttl = 10 * time.Second
		s.set(at(0))
		l1, _ := mustAcquire(t, s, key, 2, ttl)
		s.set(at(time.Second))
		l2, _ := mustAcquire(t, s, key, 2, ttl)
		if _, d := mustAcquire(t, s, key, 2, ttl); d.Allowed || d.RetryAfter != 9*time.Second || d.Remaining != 0 {
			t.Fatalf("full: %+v, want RetryAfter 9s", d)
		}
		s.set(at(10 * time.Second)) // l1 expires exactly now
		if err := l1.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("renew expired lease: %v", err)
		}
		if err := l2.Renew(ctx); err != nil { // now until 20s
			t.Fatal(err)
		}
		l3, d := mustAcquire(t, s, key, 2, ttl) // until 20s
		if !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after expiry: %+v", d)
		}
		s.set(at(19 * time.Second))
		if _, d := mustAcquire(t, s, key, 2, ttl); d.Allowed || d.RetryAfter != time.Second {
			t.Fatalf("renewed: %+v, want RetryAfter 1s", d)
		}
		if err := l3.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if _, d := mustAcquire(t, s, key, 2, ttl); !d.Allowed {
			t.Fatalf("after release: %+v", d)
		}
	})

	t.Run("ListExpiry", func(t *testing.T) {
		s := newStore(t)
		key := t.Name()
		ctx := ctxT(t)
		s.set(at(0))
		push := func(v string, ttl time.Duration) {
			t.Helper()
			if err := s.CacheListPush(ctx, key, []byte(v), ttl, 10); err != nil {
				t.Fatal(err)
			}
		}
		push("a", 10*time.Second) // until 10s
		s.set(at(time.Second))
		push("b", 60*time.Second) // until 61s
		push("c", 5*time.Second)  // until 6s
		want := func(vals ...string) {
			t.Helper()
			got, err := s.CacheList(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			var g []string
			for _, v := range got {
				g = append(g, string(v))
			}
			if strings.Join(g, ",") != strings.Join(vals, ",") {
				t.Fatalf("list = %q, want %q", g, vals)
			}
		}
		want("c", "b", "a")
		s.set(at(6 * time.Second)) // c expires exactly now
		want("b", "a")
		s.set(at(10 * time.Second))
		want("b")
		s.set(at(61 * time.Second))
		want()
	})
}
