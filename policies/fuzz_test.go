package policies

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// noNetwork fails every callout at once: fuzzed documents must never reach
// the network (or wait for DNS).
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: no network")
}

// FuzzCompile reads and compiles arbitrary documents with the real
// registry. Invariants: no panic; every error is an engine.Error (or a
// list of them) naming a file, a line >= 1 and a column >= 1; a document
// that loads runs its inbound, backend and outbound sections on a dummy
// request, under a deadline, without panicking.
//
//	go test -run x -fuzz FuzzCompile -fuzztime 60s ./policies/
func FuzzCompile(f *testing.F) {
	st := store.NewMemory()
	f.Cleanup(func() { st.Close() })
	reg := Registry(Deps{Store: st, HTTPClient: &http.Client{Transport: noNetwork{}}})
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := engine.Read("fuzz.xml", data)
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		c := engine.NewCompiler(reg, goldenNamed())
		plan := c.Compile(root, "api", nil)
		if errs := c.Errors(); len(errs) > 0 {
			checkFuzzErr(t, errs.Err())
			return
		}
		u, _ := url.Parse("ws://gw/chat?a=1&b=2")
		s := engine.AcquireState(&engine.Api{Name: "f", Type: "websocket", Path: "/chat", ServiceUrl: "ws://127.0.0.1:1/"})
		defer s.Release()
		s.SetRequest(http.MethodGet, "ws", "gw", u, http.Header{"X-Mode": {"a"}, "Authorization": {"Bearer x.y.z"}}, "10.0.0.1")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		t0 := time.Now()
		for _, sec := range []engine.Section{engine.Inbound, engine.Backend, engine.Outbound} {
			if plan.Run(ctx, sec, s) {
				break
			}
		}
		s.Finish(ctx)
		s.Done()
		if d := time.Since(t0); d > 3*time.Second {
			t.Fatalf("running the plan took %s", d)
		}
	})
}

func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	var el engine.ErrorList
	var e *engine.Error
	switch {
	case errors.As(err, &el):
		if len(el) == 0 {
			t.Fatal("empty ErrorList returned as an error")
		}
		for _, e := range el {
			checkLocated(t, e)
		}
	case errors.As(err, &e):
		checkLocated(t, e)
	default:
		t.Fatalf("error is %T, not an engine.Error: %v", err, err)
	}
}
