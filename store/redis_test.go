package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tollgate/internal/redistest"
	"tollgate/internal/testutil"
)

func newTestRedis(tb testing.TB, srv *redistest.Server, opts RedisOptions) *Redis {
	tb.Helper()
	r, err := NewRedis(context.Background(), srv.URL(), opts)
	if err != nil {
		tb.Fatalf("NewRedis: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// rawClient is a plain go-redis client for inspecting and poking the server.
func rawClient(tb testing.TB, srv *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func TestRedisContract(t *testing.T) {
	srv := redistest.Start(t)
	runContract(t, func(t *testing.T) Store {
		// A generous per-call timeout: this suite checks semantics, not
		// latency, and runs under the race detector on small machines.
		return newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	})
}

func TestRedisClockContract(t *testing.T) {
	srv := redistest.Start(t)
	runClockContract(t, func(t *testing.T) clockStore {
		r := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
		var now atomic.Pointer[time.Time]
		r.now = func() time.Time { return *now.Load() }
		return clockStore{Store: r, set: func(tm time.Time) { now.Store(&tm) }}
	})
}

func TestRedisReplicasShareLimits(t *testing.T) {
	srv := redistest.Start(t)
	a := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	b := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	replicas := []Store{a, b}

	const limit = 20
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		s := replicas[i%2]
		wg.Go(func() {
			for range 20 {
				d, err := s.RateLimit(context.Background(), "shared", limit, time.Minute, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != limit {
		t.Fatalf("two replicas admitted %d calls, want exactly %d", got, limit)
	}

	// Quota and leases are shared the same way.
	start := time.Now().Add(-time.Minute)
	if d, _ := a.Quota(ctxT(t), "q", 1, time.Hour, start, 1); !d.Allowed {
		t.Fatalf("quota on a: %+v", d)
	}
	if d, _ := b.Quota(ctxT(t), "q", 1, time.Hour, start, 1); d.Allowed {
		t.Fatalf("quota on b after a used it up: %+v", d)
	}
	l, _ := mustAcquire(t, a, "c", 1, time.Minute)
	if _, d := mustAcquire(t, b, "c", 1, time.Minute); d.Allowed {
		t.Fatalf("b acquired the slot a holds: %+v", d)
	}
	if err := l.Release(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, d := mustAcquire(t, b, "c", 1, time.Minute); !d.Allowed {
		t.Fatalf("b cannot acquire after a released: %+v", d)
	}
	if err := a.CacheSet(ctxT(t), "v", []byte("1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.CacheGet(ctxT(t), "v"); err != nil || !ok || string(v) != "1" {
		t.Fatalf("b's cache view: %q %v %v", v, ok, err)
	}
}

// Every key carries the prefix and an expiry; distinct prefixes are
// distinct namespaces.
func TestRedisPrefixAndExpiry(t *testing.T) {
	srv := redistest.Start(t)
	s1 := newTestRedis(t, srv, RedisOptions{Prefix: "one:", Timeout: 2 * time.Second})
	s2 := newTestRedis(t, srv, RedisOptions{Prefix: "two:", Timeout: 2 * time.Second})
	ctx := ctxT(t)
	for _, s := range []*Redis{s1, s2} {
		if d := mustRate(t, s, "k", 1, time.Minute, 1); !d.Allowed {
			t.Fatalf("prefixes share a counter: %+v", d)
		}
		mustQuota(t, s, "k", 1, time.Hour, time.Now(), 1)
		mustAcquire(t, s, "k", 1, time.Minute)
		if err := s.CacheSet(ctx, "k", []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	raw := rawClient(t, srv)
	keys, err := raw.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 8 {
		t.Fatalf("keys %v, want 4 kinds x 2 prefixes", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "one:") && !strings.HasPrefix(k, "two:") {
			t.Errorf("key %q has no namespace prefix", k)
		}
		ttl, err := raw.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %q: PTTL %v %v, want an expiry", k, ttl, err)
		}
	}
	if mustRate(t, s1, "k", 1, time.Minute, 0).Allowed {
		t.Fatal("counter lost")
	}
	if got := DefaultRedisPrefix; newTestRedis(t, srv, RedisOptions{}).prefix != got {
		t.Fatalf("default prefix is not %q", got)
	}
}

// A killed server makes calls fail fast with ErrUnavailable; once it is back
// on the same address the same client recovers by itself.
func TestRedisDownAndBack(t *testing.T) {
	srv := redistest.Start(t)
	r := newTestRedis(t, srv, RedisOptions{}) // default timeout
	if _, err := r.RateLimit(ctxT(t), "k", 10, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	calls := []func(context.Context) error{
		func(ctx context.Context) error { _, err := r.RateLimit(ctx, "k", 10, time.Minute, 1); return err },
		func(ctx context.Context) error {
			_, err := r.Quota(ctx, "k", 10, time.Minute, time.Now(), 1)
			return err
		},
		func(ctx context.Context) error { _, _, err := r.Acquire(ctx, "k", 1, time.Second); return err },
		func(ctx context.Context) error { _, _, err := r.CacheGet(ctx, "k"); return err },
		func(ctx context.Context) error { return r.CacheSet(ctx, "k", []byte("v"), time.Second) },
		func(ctx context.Context) error { return r.CacheDelete(ctx, "k") },
	}
	for round := range 3 {
		for i, call := range calls {
			begin := time.Now()
			err := call(context.Background())
			took := time.Since(begin)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("round %d call %d with Redis down: err=%v, want ErrUnavailable", round, i, err)
			}
			if took > time.Second {
				t.Fatalf("round %d call %d took %v with Redis down, want well under 1s", round, i, took)
			}
		}
	}

	srv.Start() // same port, empty dataset, no scripts cached
	deadline := time.Now().Add(15 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if _, err = r.RateLimit(context.Background(), "k", 10, time.Minute, 1); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("client did not recover after Redis came back: %v", err)
	}
	// Everything works again, including the scripts Redis forgot (NOSCRIPT
	// falls back to EVAL).
	l, d := mustAcquire(t, r, "k", 1, time.Second)
	if !d.Allowed {
		t.Fatalf("acquire after recovery: %+v", d)
	}
	if err := l.Renew(ctxT(t)); err != nil {
		t.Fatalf("renew after recovery: %v", err)
	}
	mustQuota(t, r, "k", 1, time.Minute, time.Now(), 1)
}

// A server that accepts but does not answer (CLIENT PAUSE) must not hang
// calls: they give up after the timeout with ErrUnavailable.
func TestRedisSlowServerTimesOut(t *testing.T) {
	srv := redistest.Start(t)
	r := newTestRedis(t, srv, RedisOptions{Timeout: 100 * time.Millisecond})
	if _, err := r.RateLimit(ctxT(t), "k", 10, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	raw := rawClient(t, srv)
	if err := raw.Do(ctxT(t), "CLIENT", "PAUSE", "1500", "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	begin := time.Now()
	_, err := r.RateLimit(context.Background(), "k", 10, time.Minute, 1)
	took := time.Since(begin)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("paused server: err=%v, want ErrUnavailable wrapping a deadline", err)
	}
	if took > time.Second {
		t.Fatalf("call took %v against a paused server, want about the 100ms timeout", took)
	}
	// A caller's shorter deadline wins over Timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, _, err := r.CacheGet(ctx, "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("short ctx: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err = r.RateLimit(context.Background(), "k", 10, time.Minute, 1); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no recovery after the pause: %v", err)
}

func TestNewRedisErrors(t *testing.T) {
	addr := testutil.ClosedPort(t) // nothing listens there
	begin := time.Now()
	_, err := NewRedis(context.Background(), "redis://"+addr, RedisOptions{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no server: %v, want ErrUnavailable", err)
	}
	if took := time.Since(begin); took > 6*time.Second {
		t.Fatalf("NewRedis took %v to give up", took)
	}
	if _, err := NewRedis(context.Background(), "http://nope", RedisOptions{}); err == nil || errors.Is(err, ErrUnavailable) {
		t.Fatalf("bad url: %v, want a plain error", err)
	}
}

func TestRedisClosed(t *testing.T) {
	srv := redistest.Start(t)
	r, err := NewRedis(context.Background(), srv.URL(), RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RateLimit(ctxT(t), "k", 1, time.Second, 1); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("after Close: %v, want ErrUnavailable", err)
	}
}

func TestIsUnavailable(t *testing.T) {
	srv := redistest.Start(t)
	raw := rawClient(t, srv)
	// A server-side error about the request is not an outage.
	err := raw.Eval(ctxT(t), "return redis.call('NOPE')", nil).Err()
	if err == nil || isUnavailable(err) {
		t.Fatalf("script error %v classified as unavailable", err)
	}
	if !isUnavailable(context.DeadlineExceeded) || !isUnavailable(redis.ErrClosed) {
		t.Fatal("transport errors must be unavailable")
	}
}

func BenchmarkRedisRateLimit(b *testing.B) {
	srv := redistest.Start(b)
	r := newTestRedis(b, srv, RedisOptions{Timeout: time.Second})
	benchPerKey(b, func(ctx context.Context, key string) error {
		_, err := r.RateLimit(ctx, key, 1_000_000_000, time.Minute, 1)
		return err
	})
}

func BenchmarkRedisAcquire(b *testing.B) {
	srv := redistest.Start(b)
	r := newTestRedis(b, srv, RedisOptions{Timeout: time.Second})
	benchPerKey(b, func(ctx context.Context, key string) error {
		l, d, err := r.Acquire(ctx, key, 100, time.Minute)
		if err != nil || !d.Allowed {
			return fmt.Errorf("acquire: %+v %v", d, err)
		}
		return l.Release(ctx)
	})
}

// A Lazy store comes up while Redis is down, answers ErrUnavailable, and
// works once Redis starts (a gateway replica restarting during an outage).
func TestRedisLazyStartsWhileDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := NewRedis(ctx, srv.URL(), RedisOptions{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("eager NewRedis with Redis down: err = %v, want ErrUnavailable", err)
	}
	r, err := NewRedis(ctx, srv.URL(), RedisOptions{Lazy: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("lazy NewRedis with Redis down: %v", err)
	}
	defer r.Close()
	if err := r.Ping(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Ping while down = %v, want ErrUnavailable", err)
	}
	if _, err := r.RateLimit(ctx, "lazy", 2, time.Minute, 1); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("RateLimit while down = %v, want ErrUnavailable", err)
	}
	srv.Start()
	// The recovery loop has its own deadline: ctx above bounds the calls
	// made while Redis is down, and a loaded machine may need more of it.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := r.RateLimit(ctx, "lazy", 2, time.Minute, 1)
		if err == nil {
			if !d.Allowed {
				t.Fatalf("first call after start rejected: %+v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store never recovered: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The scripts were never loaded at startup; they work now (NOSCRIPT fallback).
	if _, err := r.RateLimit(ctx, "lazy", 2, time.Minute, 1); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.RateLimit(ctx, "lazy", 2, time.Minute, 1); d.Allowed {
		t.Fatal("limit not enforced after recovery")
	}
}

// Two replicas (two clients of one server) taking the same values: each
// value goes to exactly one of them.
func TestRedisReplicasShareCacheTake(t *testing.T) {
	srv := redistest.Start(t)
	a := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	b := newTestRedis(t, srv, RedisOptions{Timeout: 2 * time.Second})
	ctx := context.Background()
	const values = 50
	for i := range values {
		if err := a.CacheSet(ctx, "once-"+strconv.Itoa(i), []byte(strconv.Itoa(i)), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var got [2]atomic.Int64
	var wg sync.WaitGroup
	for r, s := range []Store{a, b, a, b} {
		wg.Go(func() {
			for i := range values {
				v, ok, err := s.CacheTake(ctx, "once-"+strconv.Itoa(i))
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					if string(v) != strconv.Itoa(i) {
						t.Errorf("took %q under once-%d", v, i)
					}
					got[r%2].Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := got[0].Load() + got[1].Load(); n != values {
		t.Fatalf("%d values taken in all (a %d, b %d), want each of %d exactly once", n, got[0].Load(), got[1].Load(), values)
	}
	if _, ok, err := b.CacheGet(ctx, "once-0"); err != nil || ok {
		t.Fatalf("a taken value is still readable: ok=%v err=%v", ok, err)
	}
}
