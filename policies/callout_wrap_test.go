package policies

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"tollgate/engine"
)

// chatState is a State for a POST of body to an HTTP API.
func chatState(body string) *engine.State {
	s := request("http://gw/openai/deployments/gpt/chat/completions")
	s.Context().Api.Type = "http"
	s.Context().Request.Method = http.MethodPost
	s.Context().Request.Body = engine.NewBody([]byte(body))
	return s
}

// wrapper is a TransportWrapper that counts the calls it sees, and keeps
// the value under wrapperKey of a detached context.
type wrapper struct {
	next  http.RoundTripper
	calls *sync.Map // path -> the wrapperKey value of the call's context
}

type wrapperKey struct{}

func (w *wrapper) RoundTrip(r *http.Request) (*http.Response, error) {
	v, _ := r.Context().Value(wrapperKey{}).(string)
	w.calls.Store(r.URL.Path, v)
	return w.next.RoundTrip(r)
}
func (w *wrapper) Unwrap() http.RoundTripper { return w.next }
func (w *wrapper) Wrap(rt http.RoundTripper) http.RoundTripper {
	return &wrapper{next: rt, calls: w.calls}
}
func (w *wrapper) DetachContext(dst, src context.Context) context.Context {
	if v := src.Value(wrapperKey{}); v != nil {
		dst = context.WithValue(dst, wrapperKey{}, v)
	}
	return dst
}

// TestTransportWrapperKept: the call-out client's TransportWrapper
// (telemetry) sees every call the policies make, including those over a
// client they build from it (send-request's <proxy>, a backend entity's
// own transport) and send-one-way-request's, sent by a worker with what
// the wrapper kept of the request's context.
func TestTransportWrapperKept(t *testing.T) {
	arrived := make(chan string, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasSuffix(r.URL.Path, "/contentsafety/text:analyze") {
			io.WriteString(w, `{"blocklistsMatch":[],"categoriesAnalysis":[]}`)
		}
		arrived <- r.URL.Path
	}))
	defer srv.Close()
	// The proxy answers for the target itself: enough to see the call
	// went through it.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- "proxied " + r.URL.Path
	}))
	defer proxy.Close()
	calls := new(sync.Map)
	d := testDeps()
	d.HTTPClient = &http.Client{Transport: &wrapper{next: http.DefaultTransport, calls: calls},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	own := &http.Transport{}
	defer own.CloseIdleConnections()
	d.Backends = &fakeBackends{m: map[string]PolicyBackend{"content-safety-backend": {URL: srv.URL + "/own/", Transport: own}}}
	plan := compileCS(t, d, `<send-request response-variable-name="p"><set-url>http://backend.invalid/proxied</set-url><proxy url="`+proxy.URL+`"/></send-request>
<send-one-way-request><set-url>`+srv.URL+`/oneway</set-url></send-one-way-request>
<llm-content-safety backend-id="content-safety-backend"><categories><category name="Hate" threshold="4" /></categories></llm-content-safety>`)
	s := chatState(`{"messages":[{"role":"user","content":"tulips"}]}`)
	defer s.Release()
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), wrapperKey{}, "the request's"))
	if plan.Run(ctx, engine.Inbound, s) {
		t.Fatalf("the pipeline ended: %+v", s.LastError())
	}
	cancel() // the request is over: the one-way call is not
	seen := map[string]bool{}
	for len(seen) < 3 {
		select {
		case p := <-arrived:
			seen[p] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("calls arrived: %v", seen)
		}
	}
	for path, want := range map[string]string{
		"/proxied": "the request's", "/own/contentsafety/text:analyze": "the request's", "/oneway": "the request's",
	} {
		v, ok := calls.Load(path)
		if !ok {
			t.Errorf("%s: the wrapper did not see the call", path)
			continue
		}
		if v != want {
			t.Errorf("%s: the call's context held %q, want %q", path, v, want)
		}
	}
}
