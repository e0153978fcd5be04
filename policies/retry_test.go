package policies

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/engine"
)

func TestRetrySchedule(t *testing.T) {
	s := time.Second
	half := func() float64 { return 0.5 } // jitter factor 1.0
	low := func() float64 { return 0 }    // jitter factor 0.8
	for _, tc := range []struct {
		name string
		rs   retrySchedule
		rnd  func() float64
		want []time.Duration
	}{
		{"fixed", retrySchedule{interval: 10 * s}, half, []time.Duration{10 * s, 10 * s, 10 * s}},
		{"fixed capped", retrySchedule{interval: 10 * s, max: 5 * s, hasMax: true}, half, []time.Duration{5 * s, 5 * s}},
		{"linear", retrySchedule{interval: 10 * s, delta: 5 * s, hasDelta: true}, half, []time.Duration{10 * s, 15 * s, 20 * s, 25 * s}},
		// APIM's documented example: 10, 20, 40, 80, then 100 s.
		{"exponential", retrySchedule{interval: 10 * s, delta: 10 * s, max: 100 * s, hasDelta: true, hasMax: true}, half,
			[]time.Duration{10 * s, 20 * s, 40 * s, 80 * s, 100 * s, 100 * s}},
		{"exponential low jitter", retrySchedule{interval: 10 * s, delta: 10 * s, max: 100 * s, hasDelta: true, hasMax: true}, low,
			[]time.Duration{10 * s, 18 * s, 34 * s, 66 * s, 100 * s}},
		{"first fast", retrySchedule{interval: 2 * s, delta: 1 * s, hasDelta: true, fastFirst: true}, half, []time.Duration{0, 3 * s, 4 * s}},
		{"huge n stays capped", retrySchedule{interval: s, delta: s, max: 30 * s, hasDelta: true, hasMax: true}, half, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, w := range tc.want {
				if got := tc.rs.wait(i+1, tc.rnd); got != w {
					t.Errorf("retry %d: wait %s, want %s", i+1, got, w)
				}
			}
			if tc.want == nil {
				for n := 1; n <= 200; n++ {
					if got := tc.rs.wait(n, tc.rnd); got < 0 || got > tc.rs.max {
						t.Fatalf("retry %d: wait %s", n, got)
					}
				}
			}
		})
	}
	// jitter stays within [0.8, 1.2]·delta
	rs := retrySchedule{interval: 0, delta: 10 * s, max: time.Hour, hasDelta: true, hasMax: true}
	for n := 0; n < 100; n++ {
		if got := rs.wait(2, nil2(n)); got < 8*s || got > 12*s {
			t.Fatalf("jitter out of range: %s", got)
		}
	}
}

func nil2(n int) func() float64 { return func() float64 { return float64(n%100) / 100 } }

const counter = `<set-variable name="n" value="@(context.Variables.GetValueOrDefault("n", 0) + 1)"/>`

func TestRetryCountAndCondition(t *testing.T) {
	for _, tc := range []struct {
		name, attrs string
		want        int
	}{
		{"count exhausted", `condition="true" count="3" interval="0"`, 4},
		{"condition false stops", `condition="@(context.Variables["n"] < 2)" count="10" interval="0"`, 2},
		{"condition false at once", `condition="false" count="5" interval="0"`, 1},
		{"expressions", `condition="true" count="@(1 + 1)" interval="@(0)" delta="0" max-interval="1" first-fast-retry="@(true)"`, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), `<retry `+tc.attrs+`>`+counter+`</retry>`)
			s := request("ws://gw/chat")
			defer s.Release()
			if runInbound(plan, s) {
				t.Fatalf("%+v", s.LastError())
			}
			if s.Variables()["n"] != tc.want {
				t.Errorf("ran %v times, want %d", s.Variables()["n"], tc.want)
			}
		})
	}
}

// The APIM example: send-request ignore-error inside retry, condition on a
// null or 5xx response.
func TestRetrySendRequest(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // a dropped connection: send-request fails
		case 2:
			w.WriteHeader(503)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	plan := compile(t, testDeps(), fmt.Sprintf(`
<retry condition="@(context.Variables["response"] == nil || context.Variables["response"].StatusCode >= 500)" count="3" interval="0" first-fast-retry="true">
  <send-request mode="new" response-variable-name="response" timeout="3" ignore-error="true">
    <set-url>%s/products/5</set-url>
    <set-method>GET</set-method>
  </send-request>
</retry>`, srv.URL))
	s := request("ws://gw/chat")
	defer s.Release()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	r, _ := s.Variables()["response"].(*engine.Response)
	if r == nil || r.StatusCode != 200 || calls.Load() != 3 {
		t.Errorf("response %v after %d calls", r, calls.Load())
	}
}

func TestRetryErrorsAreNotRetried(t *testing.T) {
	plan := compile(t, testDeps(), `<retry condition="true" count="5" interval="0">`+counter+
		`<set-variable name="boom" value="@(context.Variables["missing"].Field)"/></retry>`)
	s := request("ws://gw/chat")
	defer s.Release()
	if !runInbound(plan, s) || s.LastError().Reason != engine.ReasonExpression {
		t.Fatalf("want a failure, got %+v", s.LastError())
	}
	if s.Variables()["n"] != 1 {
		t.Errorf("children ran %v times", s.Variables()["n"])
	}
	if !strings.Contains(s.LastError().Path, "retry[1]/set-variable[2]") {
		t.Errorf("path = %q", s.LastError().Path)
	}
}

func TestRetryHonoursContext(t *testing.T) {
	plan := compile(t, testDeps(), `<retry condition="true" count="50" interval="10">`+counter+`</retry>`)

	// A deadline closer than the next wait: no wait starts, the retry ends.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	s := request("ws://gw/chat")
	t0 := time.Now()
	if plan.Run(ctx, engine.Inbound, s) {
		t.Fatalf("%+v", s.LastError())
	}
	if d := time.Since(t0); d > 250*time.Millisecond || s.Variables()["n"] != 1 {
		t.Errorf("took %s, ran %v times", d, s.Variables()["n"])
	}
	s.Release()

	// Cancelled while waiting: stops promptly with RequestCanceled.
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	s = request("ws://gw/chat")
	defer s.Release()
	t0 = time.Now()
	if !plan.Run(ctx2, engine.Inbound, s) {
		t.Fatalf("a cancelled retry went on")
	}
	if d := time.Since(t0); d > 2*time.Second || s.LastError().Reason != engine.ReasonCanceled {
		t.Errorf("took %s, last error %+v", d, s.LastError())
	}
}

func TestRetryStopsOnReturnResponse(t *testing.T) {
	plan := compile(t, testDeps(), `<retry condition="true" count="5" interval="0">`+counter+
		`<return-response><set-status code="202" reason="Accepted"/></return-response></retry><set-variable name="after" value="x"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	if !runInbound(plan, s) || s.Response().StatusCode != 202 || s.Variables()["n"] != 1 || s.Variables()["after"] != nil {
		t.Errorf("stopped=%v status=%d vars=%v", s.Stopped(), s.Response().StatusCode, s.Variables())
	}
}

// fakeForwarder answers each attempt with the next status of a list, or
// fails (no answer) where the list says 0.
type fakeForwarder struct {
	statuses []int
	calls    int
}

func (f *fakeForwarder) Forward(_ context.Context, s *engine.State) error {
	code := f.statuses[min(f.calls, len(f.statuses)-1)]
	f.calls++
	if code == 0 {
		return engine.NewPolicyError(engine.ReasonBackendConnection, http.StatusBadGateway, "no answer", nil)
	}
	s.SetResponse(engine.NewResponse(code))
	return nil
}

// forward-request inside retry sends the backend call on every run (APIM's
// way to retry a backend): condition sees each answer, the last one stays.
func TestRetryForwardRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		backend   string // inside <backend>
		statuses  []int
		calls     int
		status    int    // context.Response.StatusCode after the section
		stopped   bool   // the section failed (to on-error)
		wantError string // in LastError.Message
	}{
		{"fails twice then answers", `<retry condition="@(context.Response.StatusCode == 500)" count="5" interval="0"><forward-request/></retry>`,
			[]int{500, 500, 200}, 3, 200, false, ""},
		{"count exhausted keeps the last answer", `<retry condition="@(context.Response.StatusCode >= 500)" count="2" interval="0"><forward-request timeout="5"/></retry>`,
			[]int{503}, 3, 503, false, ""},
		{"first answer good", `<retry condition="@(context.Response.StatusCode == 500)" count="3" interval="0"><forward-request/></retry>`,
			[]int{200}, 1, 200, false, ""},
		{"inside choose inside retry", `<retry condition="@(context.Response.StatusCode != 200)" count="3" interval="0"><choose><when condition="@(true)"><forward-request/></when></choose></retry>`,
			[]int{404, 200}, 2, 200, false, ""},
		{"C# condition", `<retry condition="@(((int)context.Response.StatusCode) == 500)" count="3" interval="0"><forward-request/></retry>`,
			[]int{500, 201}, 2, 201, false, ""},
		{"no answer is an error, not retried", `<retry condition="@(true)" count="3" interval="0"><forward-request/></retry>`,
			[]int{0, 200}, 1, 502, true, "no answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := compile(t, testDeps(), `<policies><inbound/><backend>`+tc.backend+`</backend><outbound/><on-error/></policies>`)
			s := request("http://gw/x")
			defer s.Release()
			fw := &fakeForwarder{statuses: tc.statuses}
			s.SetForwarder(fw)
			stopped := plan.Run(context.Background(), engine.Backend, s)
			if stopped != tc.stopped || fw.calls != tc.calls {
				t.Fatalf("stopped %v after %d calls, want %v after %d (%+v)", stopped, fw.calls, tc.stopped, tc.calls, s.LastError())
			}
			if got := s.Response().StatusCode; got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if tc.wantError != "" {
				if le := s.LastError(); le == nil || !strings.Contains(le.Message, tc.wantError) || le.Source != "forward-request" {
					t.Errorf("LastError = %+v, want %q from forward-request", le, tc.wantError)
				}
			} else if !s.Forward.Sent {
				t.Error("Forward.Sent is false: the gateway would forward again")
			}
		})
	}

	// Outside retry, forward-request only records settings: nothing is sent.
	plan := compile(t, testDeps(), `<policies><inbound/><backend><forward-request timeout="7"/></backend><outbound/><on-error/></policies>`)
	s := request("http://gw/x")
	fw := &fakeForwarder{statuses: []int{200}}
	s.SetForwarder(fw)
	if plan.Run(context.Background(), engine.Backend, s) || fw.calls != 0 || s.Forward.Sent || s.Forward.Timeout != 7*time.Second {
		t.Errorf("outside retry: %d calls, %+v", fw.calls, s.Forward)
	}
	s.Release()

	// Without a gateway (no Forwarder), it fails clearly instead of pretending.
	plan = compile(t, testDeps(), `<policies><inbound/><backend><retry condition="@(false)" count="1" interval="0"><forward-request/></retry></backend><outbound/><on-error/></policies>`)
	s = request("http://gw/x")
	defer s.Release()
	if !plan.Run(context.Background(), engine.Backend, s) || !strings.Contains(s.LastError().Message, "cannot send the request here") {
		t.Errorf("no forwarder: %+v", s.LastError())
	}
}
