package policies

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// heldBackend is a real HTTP backend whose calls wait until release is
// called (or their request ends): a call is "in flight" for as long as a
// test needs, with no sleeps. entered receives one value per call that
// reached the handler.
type heldBackend struct {
	url     string
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func newHeldBackend(t *testing.T) *heldBackend {
	t.Helper()
	b := &heldBackend{entered: make(chan struct{}, 64), gate: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.entered <- struct{}{}
		select {
		case <-b.gate:
		case <-r.Context().Done():
			return
		}
		_, _ = w.Write([]byte("done"))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(b.release) // before srv.Close (cleanups run last first)
	b.url = srv.URL
	return b
}

// release lets every call in flight, and every later one, answer.
func (b *heldBackend) release() { b.once.Do(func() { close(b.gate) }) }

// waitEntered waits for one call to reach the backend.
func (b *heldBackend) waitEntered(t *testing.T, what string) {
	t.Helper()
	select {
	case <-b.entered:
	case <-time.After(20 * time.Second): // a hang fails instead of stalling
		t.Fatalf("%s: the call never reached the backend", what)
	}
}

// wrapIn puts body into section sec of an otherwise empty document.
func wrapIn(sec, body string) string {
	parts := map[string]string{"inbound": "", "backend": "", "outbound": "", "on-error": ""}
	parts[sec] = body
	var b strings.Builder
	b.WriteString("<policies>")
	for _, s := range []string{"inbound", "backend", "outbound", "on-error"} {
		b.WriteString("<" + s + ">" + parts[s] + "</" + s + ">")
	}
	b.WriteString("</policies>")
	return b.String()
}

var sectionOf = map[string]engine.Section{"inbound": engine.Inbound, "backend": engine.Backend, "outbound": engine.Outbound, "on-error": engine.OnError}

// storesUnderTest are the stores the wrapper is run on: the in-process one
// and, unless -short, a real Redis.
func storesUnderTest(t *testing.T) map[string]func(t *testing.T) store.Store {
	m := map[string]func(t *testing.T) store.Store{"memory": func(*testing.T) store.Store { return store.NewMemory() }}
	if !testing.Short() {
		m["redis"] = startRedis
	}
	return m
}

// slotFree reports whether the store has a free slot for limit-concurrency's
// key k with max-count 1 (taking and giving it back).
func slotFree(t *testing.T, st store.Store, k string) bool {
	t.Helper()
	ctx := context.Background()
	l, dec, err := st.Acquire(ctx, "lc:"+k, 1, time.Minute)
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	if !dec.Allowed || l == nil {
		return false
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("release: %v", err)
	}
	return true
}

// APIM's form in each of its four sections, on both stores: while one
// request's enclosed send-request is in flight, a second with the same key
// fails at once with 429 ConcurrencyLimitExceeded; one with another key
// goes through; once the first is done its slot is free again.
func TestLimitConcurrencyWrapper(t *testing.T) {
	for storeName, newStore := range storesUnderTest(t) {
		for _, sec := range []string{"inbound", "backend", "outbound", "on-error"} {
			t.Run(storeName+"/"+sec, func(t *testing.T) {
				be := newHeldBackend(t)
				d := Deps{Store: newStore(t)}
				plan := compile(t, d, wrapIn(sec, `<limit-concurrency key="@((string)context.Variables[&quot;connectionId&quot;])" max-count="1">
  <send-request mode="new" response-variable-name="answer" timeout="30">
    <set-url>`+be.url+`</set-url>
    <set-method>GET</set-method>
  </send-request>
</limit-concurrency>`))
				run := func(s *engine.State) bool { return plan.Run(context.Background(), sectionOf[sec], s) }
				newReq := func(conn string) *engine.State {
					s := request("http://gw/x")
					s.Variables()["connectionId"] = conn
					return s
				}

				first := newReq("c1")
				done := make(chan bool, 1)
				go func() { done <- run(first) }()
				be.waitEntered(t, "first")

				second := newReq("c1")
				if !run(second) {
					t.Fatal("second: admitted while the first holds the only slot")
				}
				le := second.LastError()
				if r := second.Response(); r.StatusCode != 429 || le == nil || le.Reason != engine.ReasonConcurrency || le.Source != "limit-concurrency" {
					t.Fatalf("second: %d %+v, want 429 %s from limit-concurrency", r.StatusCode, le, engine.ReasonConcurrency)
				}
				if body, _ := second.Response().Body.AsString(); body != `{"statusCode":429,"message":"Too many concurrent requests"}` {
					t.Errorf("second: body %s", body)
				}
				if len(be.entered) != 0 {
					t.Error("second: the enclosed send-request ran")
				}
				second.Release()

				other := newReq("c2") // another key has its own slot
				otherDone := make(chan bool, 1)
				go func() { otherDone <- run(other) }()
				be.waitEntered(t, "another key")

				be.release()
				if <-done {
					t.Fatalf("first: stopped: %+v", first.LastError())
				}
				if <-otherDone {
					t.Fatalf("another key: stopped: %+v", other.LastError())
				}
				if v, ok := first.Variables()["answer"]; !ok || v == nil {
					t.Error("first: no answer from the enclosed send-request")
				}
				first.Release()
				other.Release()

				third := newReq("c1")
				if run(third) {
					t.Fatalf("third: rejected after the first was done: %+v", third.LastError())
				}
				third.Release()
				if !slotFree(t, d.Store, "c1") || !slotFree(t, d.Store, "c2") {
					t.Error("a slot is still held after every request is done")
				}
			})
		}
	}
}

// The slot is given back on every way out of the enclosed policies: a
// failure, return-response, a cancelled request, a nested wrapper over its
// own limit; a failure before the slot is taken takes none.
func TestLimitConcurrencyWrapperReleases(t *testing.T) {
	for storeName, newStore := range storesUnderTest(t) {
		for _, tc := range []struct {
			name    string
			body    string
			cancel  bool // cancel the request once the backend has the call
			stopped bool
			status  int
			reason  string
		}{
			{name: "runs to the end", body: `<set-variable name="x" value="1"/>`},
			{name: "expression failure", body: `<set-variable name="x" value="@(context.Variables[&quot;missing&quot;].Field)"/>`,
				stopped: true, status: 500, reason: engine.ReasonExpression},
			{name: "return-response", body: `<return-response><set-status code="418" reason="Teapot"/></return-response><set-variable name="never" value="1"/>`,
				stopped: true, status: 418},
			{name: "return-response inside choose", body: `<choose><when condition="@(true)"><return-response><set-status code="202" reason="Accepted"/></return-response></when></choose>`,
				stopped: true, status: 202},
			{name: "a nested wrapper over its limit", body: `<limit-concurrency key="k" max-count="1"><set-variable name="never" value="1"/></limit-concurrency>`,
				stopped: true, status: 429, reason: engine.ReasonConcurrency},
			{name: "cancelled while a call is in flight", body: `<send-request mode="new" response-variable-name="r" timeout="30"><set-url>BACKEND</set-url><set-method>GET</set-method></send-request>`,
				cancel: true, stopped: true, reason: engine.ReasonCanceled},
		} {
			t.Run(storeName+"/"+tc.name, func(t *testing.T) {
				be := newHeldBackend(t)
				d := Deps{Store: newStore(t)}
				plan := compile(t, d, wrapIn("inbound", `<limit-concurrency key="k" max-count="1">`+strings.ReplaceAll(tc.body, "BACKEND", be.url)+`</limit-concurrency>`))
				s := request("http://gw/x")
				defer s.Release()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				done := make(chan bool, 1)
				go func() { done <- plan.Run(ctx, engine.Inbound, s) }()
				if tc.cancel {
					be.waitEntered(t, tc.name)
					cancel()
				}
				stopped := <-done
				if stopped != tc.stopped {
					t.Fatalf("stopped = %v, want %v (%+v)", stopped, tc.stopped, s.LastError())
				}
				if tc.status != 0 && s.Response().StatusCode != tc.status {
					t.Errorf("status %d, want %d", s.Response().StatusCode, tc.status)
				}
				if tc.reason != "" && (s.LastError() == nil || s.LastError().Reason != tc.reason) {
					t.Errorf("last error %+v, want reason %s", s.LastError(), tc.reason)
				}
				if _, ok := s.Variables()["never"]; ok {
					t.Error("a policy after the way out ran")
				}
				if !slotFree(t, d.Store, "k") {
					t.Error("the slot is still held")
				}
			})
		}
	}
}

// Both forms count in one counter per key value: a slot tollgate's form
// holds until the request ends is one APIM's form cannot take.
func TestLimitConcurrencyFormsShareKeys(t *testing.T) {
	d := testDeps()
	plan := compile(t, d, `<policies><inbound><limit-concurrency counter-key="shared" max-count="1"/></inbound>
<backend/><outbound><limit-concurrency key="shared" max-count="1"><set-variable name="x" value="1"/></limit-concurrency></outbound><on-error/></policies>`)
	holder := request("ws://gw/chat")
	admit(t, plan, holder, "holder")
	s := request("ws://gw/chat")
	if !plan.Run(context.Background(), engine.Outbound, s) || s.Response().StatusCode != 429 {
		t.Fatalf("the wrapper took a slot tollgate's form holds: %+v", s.LastError())
	}
	s.Release()
	holder.Done()
	holder.Release()
	s = request("ws://gw/chat")
	if plan.Run(context.Background(), engine.Outbound, s) {
		t.Fatalf("rejected after the holder was done: %+v", s.LastError())
	}
	s.Release()
}

// Which form an element is, and where it may stand.
func TestLimitConcurrencyForms(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		wrap      bool
		err       string
	}{
		{"APIM's documented example", `<policies><inbound></inbound><backend>
    <limit-concurrency key="@((string)context.Variables[&quot;connectionId&quot;])" max-count="3">
      <forward-request timeout="120"/>
    </limit-concurrency>
  </backend><outbound></outbound></policies>`, true, ""},
		{"key without children", wrapIn("outbound", `<limit-concurrency key="k" max-count="3"/>`), true, ""},
		{"counter-key with children", wrapIn("backend", `<limit-concurrency counter-key="k" max-count="3"><forward-request/></limit-concurrency>`), true, ""},
		{"key in on-error", wrapIn("on-error", `<limit-concurrency key="k" max-count="3"><set-header name="a" exists-action="override"><value>b</value></set-header></limit-concurrency>`), true, ""},
		{"tollgate's form", wrapIn("inbound", `<limit-concurrency counter-key="k" max-count="3"/>`), false, ""},
		{"tollgate's form in backend", wrapIn("backend", `<limit-concurrency counter-key="k" max-count="3"/>`), false,
			`is only allowed in inbound`},
		{"both keys", wrapIn("inbound", `<limit-concurrency key="k" counter-key="k" max-count="3"><set-variable name="x" value="1"/></limit-concurrency>`), false,
			`takes "key" (APIM's form, which wraps the policies it limits) or "counter-key"`},
		{"no key", wrapIn("inbound", `<limit-concurrency max-count="3"/>`), false, `needs the attribute "key"`},
		{"wait inside, inside retry", wrapIn("inbound", `<retry condition="@(false)" count="1" interval="0"><limit-concurrency key="k" max-count="1"><wait><send-request mode="new" response-variable-name="r"><set-url>http://127.0.0.1:9/</set-url></send-request></wait></limit-concurrency></retry>`), false,
			`<wait> is not allowed inside <retry>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, errs := compileErrs(testDeps(), tc.src)
			if tc.err != "" {
				if len(errs) == 0 || !strings.Contains(errs.Error(), tc.err) {
					t.Fatalf("errors %v, want %q", errs, tc.err)
				}
				return
			}
			if len(errs) > 0 {
				t.Fatalf("load errors:\n%v", errs)
			}
			var found []*limitConcurrency
			for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound, engine.OnError} {
				walkBlock(plan.Section(sec), func(c *engine.Compiled) {
					if l, ok := c.Step.(*limitConcurrency); ok {
						found = append(found, l)
					}
					if f, ok := c.Step.(*forwardRequest); ok && !f.send {
						t.Error("a forward-request inside the wrapper does not send the call inside it")
					}
				})
			}
			if len(found) != 1 || found[0].wrap != tc.wrap {
				t.Fatalf("found %d, wrap %v; want wrap %v", len(found), len(found) > 0 && found[0].wrap, tc.wrap)
			}
		})
	}
}

// With the store down, APIM's form runs its policies without a slot when
// failing open, and runs none of them when failing closed (503).
func TestLimitConcurrencyWrapperStoreDown(t *testing.T) {
	for _, tc := range []struct {
		attr    string
		stopped bool
	}{{"", false}, {`fail-open="false"`, true}} {
		t.Run("fail-open="+strings.TrimPrefix(tc.attr, "fail-open="), func(t *testing.T) {
			plan := compile(t, Deps{Store: failingStore{}}, `<limit-concurrency key="k" max-count="1" `+tc.attr+`><set-variable name="ran" value="yes"/></limit-concurrency>`)
			s := request("http://gw/x")
			defer s.Release()
			stopped := runInbound(plan, s)
			_, ran := s.Variables()["ran"]
			if stopped != tc.stopped || ran == tc.stopped {
				t.Fatalf("stopped=%v ran=%v (%+v)", stopped, ran, s.LastError())
			}
			if tc.stopped && (s.Response().StatusCode != 503 || s.LastError().Reason != engine.ReasonStoreUnavailable) {
				t.Errorf("fail-closed: %d %+v", s.Response().StatusCode, s.LastError())
			}
		})
	}
}
