package policies

import (
	"context"
	"errors"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/internal/redistest"
	"tollgate/store"
)

func TestLimitConcurrency(t *testing.T) {
	plan := compile(t, testDeps(), `<limit-concurrency counter-key="@(context.Request.Headers.GetValueOrDefault("X-User","anon"))" max-count="2"/>`)
	a1, a2 := request("ws://gw/chat", "X-User", "a"), request("ws://gw/chat", "X-User", "a")
	admit(t, plan, a1, "a1")
	admit(t, plan, a2, "a2")
	a3 := request("ws://gw/chat", "X-User", "a")
	body, _ := reject(t, plan, a3, 429, engine.ReasonConcurrency, "a3")
	if body != `{"statusCode":429,"message":"Too many concurrent requests"}` {
		t.Errorf("body = %s", body)
	}
	a3.Done()
	a3.Release()
	b := request("ws://gw/chat", "X-User", "b")
	admit(t, plan, b, "b")

	// Done releases the slot.
	a1.Done()
	a1.Release()
	a4 := request("ws://gw/chat", "X-User", "a")
	admit(t, plan, a4, "a4 after a1 is done")
	for _, s := range []*engine.State{a2, a4, b} {
		s.Done()
		s.Release()
	}

	plan = compile(t, testDeps(), `<limit-concurrency counter-key="k" max-count="1" failed-httpcode="503" failed-message="@("busy: " + context.Api.Name)"/>`)
	s1, s2 := request("ws://gw/chat"), request("ws://gw/chat")
	admit(t, plan, s1, "s1")
	body, _ = reject(t, plan, s2, 503, engine.ReasonConcurrency, "s2")
	if body != `{"statusCode":503,"message":"busy: test"}` {
		t.Errorf("body = %s", body)
	}
	s1.Done()
	s1.Release()
	s2.Release()
}

// The shared keeper renews a held lease past its TTL.
func TestLimitConcurrencyRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for lease expiry")
	}
	plan := compile(t, testDeps(), `<limit-concurrency counter-key="k" max-count="1" lease-seconds="1"/>`)
	s1 := request("ws://gw/chat")
	admit(t, plan, s1, "holder")
	time.Sleep(2500 * time.Millisecond)
	s2 := request("ws://gw/chat")
	reject(t, plan, s2, 429, engine.ReasonConcurrency, "while held beyond the ttl")
	s2.Release()
	s1.Done()
	s1.Release()
	s3 := request("ws://gw/chat")
	admit(t, plan, s3, "after release")
	s3.Done()
	s3.Release()
}

// A lease nobody renews (its replica died) frees its slot after the TTL.
func TestLimitConcurrencyDeadReplica(t *testing.T) {
	d := testDeps()
	if _, dec, err := d.Store.Acquire(context.Background(), "lc:k", 1, 500*time.Millisecond); err != nil || !dec.Allowed {
		t.Fatalf("acquire: %v %+v", err, dec)
	}
	plan := compile(t, d, `<limit-concurrency counter-key="k" max-count="1"/>`)
	s := request("ws://gw/chat")
	reject(t, plan, s, 429, engine.ReasonConcurrency, "while the dead replica's lease lives")
	s.Release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := request("ws://gw/chat")
		stopped := runInbound(plan, s)
		s.Done()
		s.Release()
		if !stopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the unrenewed lease never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// One keeper goroutine keeps many leases alive and stops once they are
// all released.
func TestLeaseKeeper(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for lease expiry")
	}
	d := testDeps()
	kt := newKit(d)
	k := kt.leases
	owner := &limitBase{k: kt, policy: "limit-concurrency"}
	ctx := context.Background()
	const n = 500
	// Long enough that a renewal (due at ttl/3) is never late on a loaded
	// machine: the test is about the keeper, not about scheduling delays.
	ttl := 1500 * time.Millisecond
	var held []*heldLease
	for i := range n {
		l, dec, err := d.Store.Acquire(ctx, "many", n, ttl)
		if err != nil || !dec.Allowed {
			t.Fatalf("acquire %d: %v %+v", i, err, dec)
		}
		held = append(held, k.add(l, ttl, owner))
	}
	time.Sleep(3 * ttl)
	if _, dec, err := d.Store.Acquire(ctx, "many", n, ttl); err != nil || dec.Allowed {
		t.Fatalf("a slot freed while every lease was held: %v %+v", err, dec)
	}
	for _, h := range held {
		k.release(h)
	}
	l, dec, err := d.Store.Acquire(ctx, "many", 1, ttl)
	if err != nil || !dec.Allowed {
		t.Fatalf("slots not released: %v %+v", err, dec)
	}
	_ = l.Release(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		k.mu.Lock()
		running := k.running
		k.mu.Unlock()
		if !running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the keeper goroutine did not stop with no leases")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A lost lease (expired while the store was unreachable) is dropped from
// the keeper without disturbing the others.
func TestLeaseKeeperLostLease(t *testing.T) {
	d := testDeps()
	kt := newKit(d)
	k := kt.leases
	owner := &limitBase{k: kt, policy: "limit-concurrency"}
	ctx := context.Background()
	l, _, err := d.Store.Acquire(ctx, "lost", 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = l.Release(ctx) // as if it had expired
	h := k.add(l, time.Second, owner)
	k.mu.Lock()
	h.next = time.Time{}
	k.mu.Unlock()
	k.renewOne(h)
	k.mu.Lock()
	_, still := k.held[h]
	k.mu.Unlock()
	if still {
		t.Error("a lost lease is still renewed")
	}
	if err := h.lease.Renew(ctx); err == nil || !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("renew after release: %v", err)
	}
	k.release(h) // idempotent
}

// startRedis starts a throw-away redis-server (redistest.Start: without
// redis-server the test fails) and returns a Redis store on it.
func startRedis(t *testing.T) store.Store {
	t.Helper()
	srv := redistest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := store.NewRedis(ctx, srv.URL(), store.RedisOptions{Timeout: time.Second})
	if err != nil {
		t.Fatalf("redis store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// The policies behave the same on the Redis store (one replica's view).
func TestLimitPoliciesRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server")
	}
	d := Deps{Store: startRedis(t)}
	plan := compile(t, d, `<rate-limit calls="10" renewal-period="60"/>
<rate-limit-by-key calls="5" renewal-period="60" counter-key="k"/>
<quota calls="10" renewal-period="86400"/>
<quota-by-key bandwidth="1" renewal-period="0" counter-key="b"/>
<limit-concurrency counter-key="c" max-count="1" lease-seconds="1"/>`)
	s1 := request("ws://gw/chat")
	admit(t, plan, s1, "first")
	s1.ByteCount().Out.Add(2000)
	s2 := request("ws://gw/chat")
	reject(t, plan, s2, 429, engine.ReasonConcurrency, "concurrent second")
	s2.Release()
	time.Sleep(2500 * time.Millisecond) // the lease outlives its ttl while held
	s2 = request("ws://gw/chat")
	reject(t, plan, s2, 429, engine.ReasonConcurrency, "concurrent second, later")
	s2.Release()
	s1.Done()
	s1.Release()
	s3 := request("ws://gw/chat")
	body, ra := reject(t, plan, s3, 403, engine.ReasonQuotaExceeded, "over bandwidth")
	if checkQuotaBody(t, body, ra) != "bandwidth" {
		t.Errorf("body %s", body)
	}
	s3.Release()
}
