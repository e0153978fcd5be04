package policies

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/engine"
)

// slowServer answers after delay, counting the requests in flight at once.
type slowServer struct {
	*httptest.Server
	inFlight, maxInFlight atomic.Int64
	cancelled             chan string // paths whose request context was cancelled
}

func newSlowServer(t *testing.T) *slowServer {
	ss := &slowServer{cancelled: make(chan string, 10)}
	ss.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ss.inFlight.Add(1)
		defer ss.inFlight.Add(-1)
		for {
			m := ss.maxInFlight.Load()
			if n <= m || ss.maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		delay, _ := time.ParseDuration(r.URL.Query().Get("delay"))
		select {
		case <-time.After(delay):
			fmt.Fprint(w, r.URL.Path)
		case <-r.Context().Done():
			ss.cancelled <- r.URL.Path
		}
	}))
	t.Cleanup(ss.Close)
	return ss
}

func sendReq(name, url string) string {
	return fmt.Sprintf(`<send-request response-variable-name=%q timeout="10"><set-url>%s</set-url></send-request>`, name, url)
}

func TestWaitAllRunsInParallel(t *testing.T) {
	ss := newSlowServer(t)
	plan := compile(t, testDeps(), `<set-variable name="before" value="b"/>
<wait for="all">`+
		sendReq("a", ss.URL+"/a?delay=300ms")+
		sendReq("b", ss.URL+"/b?delay=300ms")+`
  <choose><when condition="@(context.Variables["before"] == "b")"><set-variable name="c" value="from-choose"/></when></choose>
</wait>
<set-variable name="after" value="@(context.Variables["a"].Body.AsString() + context.Variables["b"].Body.AsString())"/>`)
	s := request("ws://gw/chat")
	defer s.Release()
	s.EnableTrace()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	// Both calls were at the server at once (a time bound would flake on
	// a loaded machine; this cannot).
	if m := ss.maxInFlight.Load(); m != 2 {
		t.Errorf("max requests in flight = %d, want 2", m)
	}
	v := s.Variables()
	if v["after"] != "/a/b" || v["c"] != "from-choose" || v["before"] != "b" {
		t.Errorf("variables = %v", v)
	}
	var paths []string
	for _, st := range s.Trace().Steps {
		paths = append(paths, st.Path)
	}
	if got := strings.Join(paths, " "); !strings.Contains(got, "inbound/wait[1]/send-request[2]") || !strings.Contains(got, "set-variable[1]") {
		t.Errorf("trace steps: %s", got)
	}
}

func TestWaitAnyCancelsTheLoser(t *testing.T) {
	ss := newSlowServer(t)
	plan := compile(t, testDeps(), `<wait for="any">`+
		sendReq("slow", ss.URL+"/slow?delay=10s")+
		sendReq("fast", ss.URL+"/fast?delay=10ms")+`</wait>`)
	s := request("ws://gw/chat")
	defer s.Release()
	t0 := time.Now()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("any waited %s", d)
	}
	if _, ok := s.Variables()["fast"].(*engine.Response); !ok {
		t.Errorf("winner's variable not set: %v", s.Variables())
	}
	if _, ok := s.Variables()["slow"]; ok {
		t.Errorf("loser's variable merged: %v", s.Variables())
	}
	select {
	case p := <-ss.cancelled:
		if p != "/slow" {
			t.Errorf("cancelled %s", p)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("the server never saw the loser cancelled")
	}
}

func TestWaitErrorsAndStops(t *testing.T) {
	ss := newSlowServer(t)
	t.Run("all fails with the failing branch", func(t *testing.T) {
		plan := compile(t, testDeps(), `<policies><inbound><wait>`+
			sendReq("ok", ss.URL+"/ok?delay=1ms")+
			`<send-request response-variable-name="bad" timeout="2"><set-url>http://127.0.0.1:1/</set-url></send-request>`+
			`</wait></inbound><backend/><outbound/>
<on-error><set-variable name="seen" value="@(context.LastError.Reason + " " + context.LastError.Path)"/></on-error></policies>`)
		s := request("ws://gw/chat")
		defer s.Release()
		if !runInbound(plan, s) {
			t.Fatalf("wait did not fail")
		}
		if got, _ := s.Variables()["seen"].(string); got != engine.ReasonCallout+" inbound/wait[1]/send-request[2]" {
			t.Errorf("on-error saw %q", got)
		}
	})
	t.Run("any with every branch failing", func(t *testing.T) {
		plan := compile(t, testDeps(), `<wait for="any"><send-request response-variable-name="bad" timeout="2"><set-url>http://127.0.0.1:1/</set-url></send-request></wait>`)
		s := request("ws://gw/chat")
		defer s.Release()
		if !runInbound(plan, s) || s.LastError().Reason != engine.ReasonCallout {
			t.Errorf("got %+v", s.LastError())
		}
	})
	t.Run("return-response in a branch", func(t *testing.T) {
		plan := compile(t, testDeps(), `<wait>`+sendReq("ok", ss.URL+"/ok?delay=1ms")+`
<choose><when condition="true"><return-response><set-status code="403" reason="Forbidden"/></return-response></when></choose>
</wait><set-variable name="after" value="x"/>`)
		s := request("ws://gw/chat")
		defer s.Release()
		if !runInbound(plan, s) || s.Response().StatusCode != 403 || s.Variables()["after"] != nil {
			t.Errorf("stopped=%v status=%d vars=%v", s.Stopped(), s.Response().StatusCode, s.Variables())
		}
		if _, ok := s.Variables()["ok"]; !ok {
			t.Errorf("the other branch's variable was not merged")
		}
	})
}

// Many concurrent requests through one wait plan, for -race.
func TestWaitConcurrentRequests(t *testing.T) {
	ss := newSlowServer(t)
	d := testDeps()
	plan := compile(t, d, `<cache-store-value key="k" value="@({"x": 1})" duration="60"/>
<wait>`+sendReq("a", ss.URL+"/a?delay=1ms")+`
  <cache-lookup-value key="k" variable-name="cached"/>
  <choose><when condition="@(context.Request.Headers.GetValueOrDefault("X-N","") != "")">
    <set-variable name="n" value="@(context.Request.Headers.GetValueOrDefault("X-N",""))"/>
  </when></choose>
</wait>`)
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			s := request("ws://gw/chat", "X-N", fmt.Sprint(i))
			defer s.Release()
			if runInbound(plan, s) {
				errs <- fmt.Errorf("%+v", s.LastError())
				return
			}
			if s.Variables()["n"] != fmt.Sprint(i) || s.Variables()["cached"] == nil || s.Variables()["a"] == nil {
				errs <- fmt.Errorf("request %d: %v", i, s.Variables())
				return
			}
			errs <- nil
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestWaitRateLimitInBranch: rate limits may run in a branch (APIM's own
// example of wait has one in each, testdata/apim-docs/wait.xml): their
// variables and response headers reach the request, their counting at the
// end of outbound runs, and a refusal fails the wait with the 429.
func TestWaitRateLimitInBranch(t *testing.T) {
	plan := compile(t, testDeps(), `<wait for="all">
  <choose><when condition="@(true)">
    <rate-limit calls="1" renewal-period="60" remaining-calls-header-name="X-Left" remaining-calls-variable-name="left"/>
  </when></choose>
  <choose><when condition="@(true)"><set-variable name="b" value="two"/></when></choose>
</wait>`)
	s := request("ws://gw/chat")
	admit(t, plan, s, "first")
	if got := s.ResponseHeaders().GetValueOrDefault("X-Left", ""); got != "0" {
		t.Errorf("X-Left = %q, want 0 (from the branch)", got)
	}
	if got := s.Variables()["left"]; got != 0 {
		t.Errorf("left = %v", got)
	}
	if got := s.Variables()["b"]; got != "two" {
		t.Errorf("b = %v", got)
	}
	s.Release()
	s = request("ws://gw/chat")
	body, _ := reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "second")
	if !rateBody.MatchString(body) {
		t.Errorf("body %s", body)
	}
	if p := s.LastError().Path; !strings.Contains(p, "wait[1]/choose[1]") || !strings.HasSuffix(p, "rate-limit[1]") {
		t.Errorf("LastError.Path = %q", p)
	}
	s.Release()

	// rate-limit-by-key counting at the end of outbound: the branch's work
	// is merged and runs when the request finishes.
	plan = compile(t, testDeps(), `<wait><choose><when condition="@(true)">
  <rate-limit-by-key calls="1" renewal-period="60" counter-key="k" increment-condition="@(context.Response.StatusCode == 200)"/>
</when></choose></wait>`)
	s = request("ws://gw/chat")
	admit(t, plan, s, "by-key first")
	s.SetResponse(engine.NewResponse(200))
	s.Finish(context.Background())
	s.Release()
	s = request("ws://gw/chat")
	reject(t, plan, s, 429, engine.ReasonRateLimitExceeded, "by-key after the first was counted at the end")
	s.Release()
}

// TestWaitBranchObservers: what a branch does reaches the request's
// observers as if the request did it: its trace messages the request's
// TraceSink (span events, Application Insights traces) and its call-outs
// the CalloutSink, from every branch; and its steps the request's
// step-by-step trace, those of a branch that failed (its work dropped)
// too.
func TestWaitBranchObservers(t *testing.T) {
	plan := compile(t, testDeps(), `<policies><inbound><wait for="all">
  <choose><when condition="@(true)"><trace source="branch-1" severity="information"><message>one</message></trace></when></choose>
  <choose><when condition="@(true)">
    <trace source="branch-2" severity="error"><message>two</message><metadata name="k" value="v"/></trace>
    <send-request response-variable-name="bad" timeout="2"><set-url>http://127.0.0.1:1/down</set-url></send-request>
  </when></choose>
</wait></inbound><backend/><outbound/><on-error/></policies>`)
	s := request("ws://gw/chat")
	defer s.Release()
	s.EnableTrace()
	var mu sync.Mutex
	var messages []string
	s.SetPrivate(TraceSinkKey{}, TraceSink(func(_ context.Context, source, severity, message string, meta []string) {
		mu.Lock()
		defer mu.Unlock()
		messages = append(messages, source+" "+severity+" "+message+" "+strings.Join(meta, "="))
	}))
	rec := &recordingSink{ended: make(chan sinkCall, 4)}
	s.SetPrivate(CalloutSinkKey{}, CalloutSink(rec.sink))
	if !runInbound(plan, s) {
		t.Fatal("the wait did not fail")
	}
	sort.Strings(messages)
	if got, want := strings.Join(messages, "|"), "branch-1 information one |branch-2 error two k=v"; got != want {
		t.Errorf("the TraceSink got %q, want %q", got, want)
	}
	select {
	case c := <-rec.ended:
		if c.target != "http://127.0.0.1:1/down" || !c.failed {
			t.Errorf("the CalloutSink got %+v", c)
		}
	default:
		t.Error("the CalloutSink was not told of the branch's call")
	}
	var notes []string
	for _, st := range s.Trace().Steps {
		notes = append(notes, st.Path+": "+strings.Join(st.Notes, "; "))
	}
	all := strings.Join(notes, "\n")
	for _, want := range []string{"[branch-1] information: one", "[branch-2] error: two {k=v}", "inbound/wait[1]/choose[2]/when[1]/send-request[1]: GET http://127.0.0.1:1/down -> failed"} {
		if !strings.Contains(all, want) {
			t.Errorf("the trace lacks %q:\n%s", want, all)
		}
	}
}
