package gateway_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// blockingStore is an in-process store whose leases' Release blocks until
// unblock is closed, as a Redis store's may on a slow network: entered gets
// one value per Release that started.
type blockingStore struct {
	store.Store
	entered chan struct{}
	unblock chan struct{}
}

func (s *blockingStore) Acquire(ctx context.Context, key string, max int64, ttl time.Duration) (store.Lease, store.Decision, error) {
	l, d, err := s.Store.Acquire(ctx, key, max, ttl)
	if l != nil {
		l = &blockingLease{Lease: l, s: s}
	}
	return l, d, err
}

type blockingLease struct {
	store.Lease
	s *blockingStore
}

func (l *blockingLease) Release(ctx context.Context) error {
	l.s.entered <- struct{}{}
	<-l.s.unblock
	return l.Lease.Release(ctx)
}

// A session whose OnDone function blocks (tollgate's session-long
// limit-concurrency lease, released on a store that does not answer) stalls
// no event loop: while its release blocks, sessions of an API without OnDone
// functions open, relay and end, more of them than there are loops. With
// the log at warn, their done callbacks are the ones the loop calls itself
// (wsproxy.QuickDone); the blocked one must have gone to a reporter.
func TestWebSocketBlockingOnDone(t *testing.T) {
	be := newWSBackend(t)
	dir := t.TempDir()
	writeAPI(t, dir, "held", `type="websocket" path="/held" service-url="`+be.url+`"`,
		`<policies><inbound><limit-concurrency counter-key="held" max-count="5"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "free", `type="websocket" path="/free" service-url="`+be.url+`"`,
		`<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	bs := &blockingStore{Store: store.NewMemory(), entered: make(chan struct{}, 1), unblock: make(chan struct{})}
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: bs})
		o.Log = zap.New(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core())
	})
	defer close(bs.unblock) // before the gateway's shutdown, which waits for the session

	c := dial(t, g.ws+"/held", nil)
	mustWrite(t, c, "held")
	if got := mustRead(t, c); got != "held" {
		t.Fatalf("held session: echo %q", got)
	}
	c.Close(websocket.StatusNormalClosure, "")
	select {
	case <-bs.entered:
	case <-time.After(testTimeout):
		t.Fatal("the held session's lease was never released")
	}
	for i := range 16 {
		c := dial(t, g.ws+"/free", nil)
		msg := fmt.Sprintf("free %d", i)
		mustWrite(t, c, msg)
		if got := mustRead(t, c); got != msg {
			t.Fatalf("session %d: echo %q", i, got)
		}
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatalf("session %d: close: %v", i, err)
		}
	}
}
