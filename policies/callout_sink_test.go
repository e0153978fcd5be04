package policies

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// sinkCall is what a CalloutSink was told of one call.
type sinkCall struct {
	method, target string
	status         int
	failed         bool
}

// recordingSink is a CalloutSink that adds X-Sink to each call's headers
// and reports each call's end on ended.
type recordingSink struct {
	ended chan sinkCall
}

func (r *recordingSink) sink(method, target string, h http.Header) CalloutEnd {
	h.Set("X-Sink", target)
	return func(sent time.Time, status int, err error) {
		if sent.IsZero() {
			panic("no send time")
		}
		r.ended <- sinkCall{method, target, status, err != nil}
	}
}

// TestCalloutSink: the request's CalloutSink is told of each call
// send-request (in a <wait> branch too) and send-one-way-request make,
// before it goes (the headers it adds are sent) and when it ended (the
// answer's status, or none and an error); a request without one is not.
func TestCalloutSink(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{} // path -> X-Sink as received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r.Header.Get("X-Sink")
		mu.Unlock()
		if r.URL.Path == "/big" {
			io.WriteString(w, strings.Repeat("x", 2048))
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	refused := "http://" + testutil.ClosedPort(t)
	d := testDeps()
	d.MaxCalloutBytes = 1024
	for _, tc := range []struct {
		name, policy string
		want         []sinkCall
	}{
		{"send-request", `<send-request response-variable-name="r"><set-url>` + srv.URL + `/a?code=1</set-url><set-method>PUT</set-method></send-request>`,
			[]sinkCall{{"PUT", srv.URL + "/a?code=1", 202, false}}},
		{"refused", `<send-request response-variable-name="r" ignore-error="true"><set-url>` + refused + `/x</set-url></send-request>`,
			[]sinkCall{{"GET", refused + "/x", 0, true}}},
		{"too large", `<send-request response-variable-name="r" ignore-error="true"><set-url>` + srv.URL + `/big</set-url></send-request>`,
			[]sinkCall{{"GET", srv.URL + "/big", 200, true}}},
		{"wait", `<wait for="all">
  <send-request response-variable-name="a"><set-url>` + srv.URL + `/w1</set-url></send-request>
  <send-request response-variable-name="b"><set-url>` + srv.URL + `/w2</set-url></send-request>
</wait>`, []sinkCall{{"GET", srv.URL + "/w1", 202, false}, {"GET", srv.URL + "/w2", 202, false}}},
		{"one-way", `<send-one-way-request><set-url>` + srv.URL + `/o</set-url><set-method>POST</set-method></send-one-way-request>`,
			[]sinkCall{{"POST", srv.URL + "/o", 202, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, d, tc.policy)
			rec := &recordingSink{ended: make(chan sinkCall, 4)}
			s := request("http://gw/chat")
			defer s.Release()
			s.SetPrivate(CalloutSinkKey{}, CalloutSink(rec.sink))
			if runInbound(plan, s) {
				t.Fatalf("the pipeline ended: %+v", s.LastError())
			}
			var calls []sinkCall
			for range tc.want {
				select {
				case c := <-rec.ended:
					calls = append(calls, c)
				case <-time.After(10 * time.Second):
					t.Fatalf("told of %d calls, want %d", len(calls), len(tc.want))
				}
			}
			for _, w := range tc.want {
				found := false
				for _, c := range calls {
					found = found || c == w
				}
				if !found {
					t.Errorf("told %+v, want %+v among them", calls, w)
				}
				if w.status == 0 {
					continue
				}
				path := strings.TrimPrefix(strings.SplitN(w.target, "?", 2)[0], srv.URL)
				mu.Lock()
				h := got[path]
				mu.Unlock()
				if h != w.target {
					t.Errorf("%s: the sink's header arrived as %q", path, h)
				}
			}
		})
	}
	t.Run("no sink", func(t *testing.T) {
		plan := compile(t, d, `<send-request response-variable-name="r"><set-url>`+srv.URL+`/n</set-url></send-request>`)
		s := request("http://gw/chat")
		defer s.Release()
		if runInbound(plan, s) {
			t.Fatal("the pipeline ended")
		}
		mu.Lock()
		defer mu.Unlock()
		if h, ok := got["/n"]; !ok || h != "" {
			t.Fatalf("X-Sink %q (called: %v)", h, ok)
		}
		if n := testing.AllocsPerRun(100, func() { _ = calloutSink(s) }); n != 0 {
			t.Fatalf("looking for a sink that is not there allocates %v times", n)
		}
	})
}
