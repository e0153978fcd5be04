package policies

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/store"
)

// limit-concurrency has two forms, told apart by its attributes and
// children.
//
// APIM's form wraps the policies it limits:
//
//	<limit-concurrency key="@((string)context.Variables["connectionId"])" max-count="3">
//	    <forward-request timeout="120"/>
//	</limit-concurrency>
//
// "key" (or any child policy) makes it the wrapper: it takes one of
// max-count slots for the key, runs its policies, and gives the slot back
// when they finish, whatever the outcome (an error, return-response, a
// cancelled request, a panic). Allowed in every section. A forward-request
// inside sends the backend call there and then (as inside retry), so the
// slot is held while the call is in flight.
//
// tollgate's form holds the slot until the request is over:
//
//	<limit-concurrency counter-key="@(context.Request.IpAddress)" max-count="5"
//	    lease-seconds="60" failed-httpcode="429" failed-message="Too many concurrent requests"
//	    fail-open="true"/>
//
// "counter-key" and no children: it takes the slot at the handshake and
// holds it until the request, or for WebSocket APIs the whole session, is
// over: the release is an OnDone function, run when the gateway calls
// State.Done. Inbound only: in the other sections, APIM's form says what
// is held and for how long.
//
// Both forms share the rest: one counter per key value across scopes, APIs
// and forms (store key "lc:" + key, so key="x" and counter-key="x" count
// together, as APIM's "can be shared by multiple policies"); while held the
// lease is renewed every third of lease-seconds by the kit's shared
// leaseKeeper, so a replica that dies frees its slots after lease-seconds;
// with every slot taken the step fails with ConcurrencyLimitExceeded and
// failed-httpcode (default 429). lease-seconds, failed-httpcode,
// failed-message, fail-open and an expression in max-count are tollgate's
// extensions in both forms.
type limitConcurrency struct {
	limitBase
	key     engine.Str
	max     engine.Int
	ttl     time.Duration
	status  int
	message engine.Str
	wrap    bool         // APIM's form: hold the slot while body runs
	body    engine.Block // the policies it wraps (wrap only)
}

func (k *kit) parseLimitConcurrency(p *engine.Parser) engine.Step {
	l := &limitConcurrency{limitBase: k.newLimitBase(p)}
	hasKey, hasCounterKey := p.Has("key"), p.Has("counter-key")
	switch {
	case hasKey && hasCounterKey:
		p.Attr("key")
		p.ErrorAt(p.Attr("counter-key").Pos, "<limit-concurrency> takes \"key\" (APIM's form, which wraps the policies it limits) or \"counter-key\" (tollgate's form, held until the request ends), not both")
	case hasKey:
		l.key = p.RequiredStr("key")
		if l.key.IsConst() && l.key.Const() == "" {
			p.ErrorAt(p.Node().Attr("key").ValuePos, "attribute %q must not be empty", "key")
		}
	case hasCounterKey:
		l.key = parseCounterKey(p)
	default:
		p.Errorf("<limit-concurrency> needs the attribute \"key\" (APIM's form, around the policies it limits) or \"counter-key\" (tollgate's form, held until the request ends)")
	}
	l.max = p.RequiredInt("max-count", 1, maxCalls)
	l.ttl = time.Duration(p.LitInt("lease-seconds", 60, 1, 86400)) * time.Second
	l.status = int(p.LitInt("failed-httpcode", 429, 400, 599))
	l.message = p.Str("failed-message", "Too many concurrent requests")
	l.wrap = hasKey || len(p.Children()) > 0
	if !l.wrap {
		if p.Section() != engine.Inbound {
			p.Errorf("<limit-concurrency counter-key=…/> without nested policies (tollgate's form, which holds its slot until the request ends) is only allowed in inbound; in %s, use APIM's form: <limit-concurrency key=… max-count=…> around the policies to limit", p.Section())
		}
		return l
	}
	l.body = p.Block(p.Children())
	walkBlock(l.body, func(c *engine.Compiled) {
		if f, ok := c.Step.(*forwardRequest); ok {
			f.send = true // sent inside, so the slot covers the call
		}
	})
	return l
}

func (l *limitConcurrency) Run(ctx context.Context, s *engine.State) error {
	k, err := l.key.Eval(s)
	if err != nil {
		return err
	}
	limit, err := l.max.Eval(s)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	key := "lc:" + k
	lease, dec, err := l.k.store.Acquire(ctx, key, limit, l.ttl)
	if err != nil {
		if err := l.storeFailed(err); err != nil {
			return err
		}
		if l.wrap { // failing open: the policies run without a slot
			s.Tracef("the store failed: running without a slot")
			return l.body.Run(ctx, s)
		}
		return nil
	}
	if !dec.Allowed || lease == nil {
		msg, err := l.message.Eval(s)
		if err != nil {
			return err
		}
		s.Tracef("rejected: %d of %d slots taken", limit, limit)
		return limitError(engine.ReasonConcurrency, l.status, msg, "", 0)
	}
	h := l.k.leases.add(lease, l.ttl, &l.limitBase)
	s.Tracef("holding a slot: %d of %d left", dec.Remaining, limit)
	if !l.wrap {
		s.OnDone(func() { l.k.leases.release(h) })
		return nil
	}
	defer l.k.leases.release(h)
	return l.body.Run(ctx, s)
}

// leaseKeeper renews every held concurrency lease from one goroutine, so
// holding 10,000 leases costs no goroutine per connection. The goroutine
// runs only while leases are held: it starts with the first and ends when
// the last is released. Renewals run at most keeperWorkers at a time.
type leaseKeeper struct {
	kit     *kit
	mu      sync.Mutex
	held    map[*heldLease]struct{}
	running bool
	tick    time.Duration
	wake    chan struct{}
}

// heldLease is one lease being kept alive. next is guarded by the keeper's
// mutex.
type heldLease struct {
	lease store.Lease
	ttl   time.Duration
	next  time.Time // renew at or after this
	owner *limitBase
}

const keeperWorkers = 16

func newLeaseKeeper(kit *kit) *leaseKeeper {
	return &leaseKeeper{kit: kit, held: map[*heldLease]struct{}{}, wake: make(chan struct{}, 1)}
}

// tickFor is how often the keeper looks for due leases: a sixth of the
// ttl, so a lease is renewed between ttl/3 and ttl/2 after its last renewal.
func tickFor(ttl time.Duration) time.Duration {
	return max(ttl/6, 20*time.Millisecond)
}

func (k *leaseKeeper) add(lease store.Lease, ttl time.Duration, owner *limitBase) *heldLease {
	h := &heldLease{lease: lease, ttl: ttl, next: time.Now().Add(ttl / 3), owner: owner}
	k.mu.Lock()
	k.held[h] = struct{}{}
	t := tickFor(ttl)
	switch {
	case !k.running:
		k.running, k.tick = true, t
		go k.loop(t)
	case t < k.tick:
		k.tick = t
		select {
		case k.wake <- struct{}{}:
		default:
		}
	}
	k.mu.Unlock()
	return h
}

// release stops renewing h and frees its slot.
func (k *leaseKeeper) release(h *heldLease) {
	k.mu.Lock()
	delete(k.held, h)
	k.mu.Unlock()
	ctx := context.Background()
	if err := h.lease.Release(ctx); err != nil {
		h.owner.laterFailure("releasing the lease", err)
	}
}

func (k *leaseKeeper) loop(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	var due []*heldLease
	for {
		select {
		case <-t.C:
		case <-k.wake:
		}
		k.mu.Lock()
		if len(k.held) == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		now := time.Now()
		due = due[:0]
		minTTL := time.Duration(1<<63 - 1)
		for h := range k.held {
			minTTL = min(minTTL, h.ttl)
			if !now.Before(h.next) {
				due = append(due, h)
			}
		}
		if nt := tickFor(minTTL); nt != tick {
			tick, k.tick = nt, nt
			t.Reset(nt)
		}
		k.mu.Unlock()
		k.renew(due)
		clear(due)
	}
}

// renew renews the due leases with up to keeperWorkers short-lived workers
// and waits for them.
func (k *leaseKeeper) renew(due []*heldLease) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
	)
	for range min(len(due), keeperWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(due) {
					return
				}
				k.renewOne(due[i])
			}
		}()
	}
	wg.Wait()
}

func (k *leaseKeeper) renewOne(h *heldLease) {
	ctx := context.Background()
	err := h.lease.Renew(ctx)
	k.mu.Lock()
	_, still := k.held[h]
	switch {
	case err == nil:
		h.next = time.Now().Add(h.ttl / 3)
	case errors.Is(err, store.ErrLeaseLost) && still:
		// The slot may belong to someone else by now: stop renewing. The
		// request goes on; the release at the end is then a no-op.
		delete(k.held, h)
	}
	k.mu.Unlock()
	if err != nil && still {
		// Unavailable: next stays in the past, so the next tick retries.
		k.kit.storeFailed(h.owner.policy, "renewing a lease failed", err, zap.String("at", h.owner.where))
	}
}
