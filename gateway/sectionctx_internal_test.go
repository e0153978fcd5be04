package gateway

import (
	"context"
	"errors"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/internal/monoclock"
	"tollgate/policies"
	"tollgate/store"
)

type ctxKey struct{}

// TestSectionCtx: a section context behaves as context.WithDeadline, and
// builds the real context only when Done is asked for.
func TestSectionCtx(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	for _, tc := range []struct {
		name string
		run  func(t *testing.T) error
	}{
		{"unused: nothing built, no error", func(t *testing.T) error {
			c := newSectionCtx(parent, monoclock.Since(), time.Hour)
			if c.Err() != nil || c.Value(ctxKey{}) != "v" || c.Built() != nil {
				return errors.New("a fresh section context is not its parent with a deadline")
			}
			if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
				return errors.New("wrong deadline")
			}
			c.release()
			if c.Built() != nil || !errors.Is(c.Err(), context.Canceled) {
				return errors.New("release built a context or left it uncancelled")
			}
			return nil
		}},
		{"expired before Done: DeadlineExceeded either way", func(t *testing.T) error {
			c := newSectionCtx(parent, monoclock.Since(), time.Millisecond)
			time.Sleep(5 * time.Millisecond)
			if !errors.Is(c.Err(), context.DeadlineExceeded) {
				return errors.New("Err before Done")
			}
			select {
			case <-c.Done():
			case <-time.After(time.Second):
				return errors.New("Done not closed after the deadline")
			}
			if !errors.Is(c.Err(), context.DeadlineExceeded) {
				return errors.New("Err after Done")
			}
			return nil
		}},
		{"a derived context ends with the section", func(t *testing.T) error {
			c := newSectionCtx(parent, monoclock.Since(), time.Hour)
			child, cancel := context.WithTimeout(c, time.Hour)
			defer cancel()
			if child.Value(ctxKey{}) != "v" {
				return errors.New("values lost")
			}
			c.release()
			select {
			case <-child.Done():
			case <-time.After(time.Second):
				return errors.New("the child outlived the section")
			}
			return nil
		}},
		{"the parent's cancellation reaches it", func(t *testing.T) error {
			p, cancel := context.WithCancel(parent)
			c := newSectionCtx(p, monoclock.Since(), time.Hour)
			done := c.Done()
			cancel()
			select {
			case <-done:
			case <-time.After(time.Second):
				return errors.New("not cancelled with its parent")
			}
			return nil
		}},
		{"built after release: already cancelled", func(t *testing.T) error {
			c := newSectionCtx(parent, monoclock.Since(), time.Hour)
			c.release()
			select {
			case <-c.Done():
			default:
				return errors.New("a released section's Done is open")
			}
			return nil
		}},
		{"AfterFunc runs at the deadline", func(t *testing.T) error {
			c := newSectionCtx(parent, monoclock.Since(), 10*time.Millisecond)
			fired := make(chan struct{})
			context.AfterFunc(c, func() { close(fired) })
			select {
			case <-fired:
			case <-time.After(time.Second):
				return errors.New("AfterFunc did not run")
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestClientTraceKey: the key learned from httptrace is the one it keeps a
// trace under, so transports find the 1xx hooks in a backend call's
// context, and hooks a caller set in the parent still run.
func TestClientTraceKey(t *testing.T) {
	if clientTraceKey == nil {
		t.Fatal("httptrace asked for no key")
	}
	mine := &httptrace.ClientTrace{}
	if httptrace.ContextClientTrace(httptrace.WithClientTrace(context.Background(), mine)) != mine {
		t.Fatal("httptrace does not find its own trace")
	}
	var parentSaw int
	parent := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got1xxResponse: func(code int, _ textproto.MIMEHeader) error { parentSaw = code; return nil },
	})
	rec := httptest.NewRecorder()
	x := &exchange{api: &API{}, rest: &restParts{}}
	c := x.callCtx(parent, time.Hour, rec)
	defer c.release()
	tr := httptrace.ContextClientTrace(c)
	if tr == nil || tr.Got1xxResponse == nil {
		t.Fatal("no 1xx hook in a backend call's context")
	}
	if err := tr.Got1xxResponse(http.StatusEarlyHints, textproto.MIMEHeader{"Link": {"</a.css>; rel=preload"}}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusEarlyHints || parentSaw != http.StatusEarlyHints {
		t.Errorf("relayed %d, the parent's hook saw %d", rec.Code, parentSaw)
	}
	if c.Value(proxyKey{}) != x {
		t.Error("the exchange is not under proxyKey")
	}
	if len(rec.Header()) != 0 {
		t.Errorf("the 1xx headers stayed on the final answer: %v", rec.Header())
	}
}

// TestExchangeSectionCtx: a section run a second time gets a new context,
// so one kept from the first run stays released; the first run of a
// section the exchange has room for uses that room (a REST request's
// three, a WebSocket handshake's inbound and backend), any other a new one.
func TestExchangeSectionCtx(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x     *exchange
		own   func(*exchange, engine.Section) *sectionCtx // the room for a section, or nil
		other engine.Section                              // a section without room
	}{
		{"rest", &exchange{rest: &restParts{}}, func(x *exchange, sec engine.Section) *sectionCtx {
			return &x.rest.ctxs[bits.TrailingZeros8(uint8(sec))]
		}, engine.OnError},
		{"handshake", &exchange{wsr: &wsRoom{hs: &hsParts{}}}, func(x *exchange, sec engine.Section) *sectionCtx {
			return &x.wsr.hs.ctxs[bits.TrailingZeros8(uint8(sec))]
		}, engine.Outbound},
		{"none", &exchange{}, func(*exchange, engine.Section) *sectionCtx { return nil }, engine.Inbound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.x
			x.api = &API{Limits: Limits{PolicyTimeout: time.Hour}}
			first := x.sectionCtx(context.Background(), engine.Inbound, monoclock.Since())
			if own := tc.own(x, engine.Inbound); own != nil && first != own {
				t.Error("inbound does not use the exchange's own context")
			}
			first.release()
			second := x.sectionCtx(context.Background(), engine.Inbound, monoclock.Since())
			if second == first {
				t.Fatal("the released context was handed out again")
			}
			if !errors.Is(first.Err(), context.Canceled) || second.Err() != nil {
				t.Errorf("first %v, second %v", first.Err(), second.Err())
			}
			if own := tc.own(x, engine.Backend); own != nil && x.sectionCtx(context.Background(), engine.Backend, monoclock.Since()) != own {
				t.Error("backend does not use the exchange's own context")
			}
			if c := x.sectionCtx(context.Background(), tc.other, monoclock.Since()); c == nil || c.Err() != nil {
				t.Errorf("%v: %v", tc.other, c)
			}
		})
	}
}

// TestSectionStartsChained: inbound's timeout runs from the start it is
// given (the REST exchange's arrival, no clock read of its own), and
// backend's from inbound's end, read once for both.
func TestSectionStartsChained(t *testing.T) {
	root, err := engine.Read("policy.xml", []byte(`<policies><inbound><set-variable name="a" value="1"/></inbound>`+
		`<backend><set-variable name="b" value="2"/></backend><outbound/><on-error/></policies>`))
	if err != nil {
		t.Fatal(err)
	}
	reg := policies.Registry(policies.Deps{Store: store.NewMemory()})
	plan := engine.NewCompiler(reg, engine.NewNamedValues()).Compile(root, "api", nil)
	s := &Server{idPrefix: "0a1b2c3d", metrics: NewMetrics()}
	api := &API{Name: "a", Plan: plan, Limits: Limits{PolicyTimeout: time.Hour}}
	api.Info = &engine.Api{Name: api.Name}
	x := s.newRESTExchange(&http.Request{RemoteAddr: "192.0.2.1:5555", Header: http.Header{}}, api, time.Now())
	x.st = engine.AcquireState(api.Info)
	defer x.st.Release()
	start := monoclock.Since() - time.Minute // an arrival a minute ago
	if x.inboundAndBackendFrom(context.Background(), start) {
		t.Fatal("the sections stopped the exchange")
	}
	after := monoclock.Since()
	in, _ := x.rest.ctxs[bits.TrailingZeros8(uint8(engine.Inbound))].Deadline()
	if want := monoclock.At(start + time.Hour); !in.Equal(want) {
		t.Errorf("inbound's deadline %v, want the given start's %v", in, want)
	}
	be, _ := x.rest.ctxs[bits.TrailingZeros8(uint8(engine.Backend))].Deadline()
	if be.Before(monoclock.At(start+time.Hour+time.Minute)) || be.After(monoclock.At(after+time.Hour)) {
		t.Errorf("backend's deadline %v is not an hour from inbound's end (%v to %v)", be,
			monoclock.At(start+time.Hour+time.Minute), monoclock.At(after+time.Hour))
	}
}
