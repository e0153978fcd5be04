package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// flakyREST is a real backend that answers failStatus to its first fails
// calls, then 200 with what it received; it records every request body.
type flakyREST struct {
	calls  atomic.Int64
	mu     sync.Mutex
	bodies []string
	url    string
}

func newFlakyREST(t *testing.T, fails int64, failStatus int) *flakyREST {
	f := &flakyREST{}
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(body))
		f.mu.Unlock()
		w.Header().Set("X-Attempt", fmt.Sprint(n))
		if n <= fails {
			w.WriteHeader(failStatus)
			fmt.Fprintf(w, "failure %d", n)
			return
		}
		fmt.Fprintf(w, "ok %s %s", r.Method, body)
	})
	f.url = ts.URL
	return f
}

// forward-request inside retry: the gateway re-sends the backend call (the
// same body each time) until the condition is false, and outbound runs on
// the last answer.
func TestRetryForwardRequestREST(t *testing.T) {
	const outbound = `<outbound><set-header name="X-Outbound" exists-action="override"><value>@(context.Response.StatusCode.ToString())</value></set-header></outbound>`
	for _, tc := range []struct {
		name       string
		fails      int64
		failStatus int
		backend    string
		method     string
		body       string
		status     int
		respBody   string
		calls      int64
	}{
		{"APIM's example, fails twice", 2, 500,
			`<retry condition="@(context.Response.StatusCode == 500)" count="10" interval="0" first-fast-retry="false"><forward-request buffer-request-body="true" /></retry>`,
			"POST", `{"order":42}`, 200, `ok POST {"order":42}`, 3},
		{"GET without a body", 1, 503,
			`<retry condition="@(context.Response.StatusCode >= 500)" count="3" interval="0"><forward-request/></retry>`,
			"GET", "", 200, "ok GET ", 2},
		{"count exhausted: the last failure goes to the client", 10, 500,
			`<retry condition="@(context.Response.StatusCode == 500)" count="2" interval="0"><forward-request/></retry>`,
			"PUT", "x", 500, "failure 3", 3},
		{"condition reads the answer's body", 1, 200,
			`<retry condition="@(context.Response.Body.As<string>(preserveContent: true).StartsWith("failure"))" count="3" interval="0"><forward-request/></retry>`,
			"POST", "b", 200, "ok POST b", 2},
		{"fail-on-error-status-code goes to on-error, not retried", 5, 500,
			`<retry condition="@(true)" count="3" interval="0"><forward-request fail-on-error-status-code="true"/></retry>`,
			"GET", "", 502, "", 1}, // as without retry: BackendErrorStatusCode, 502
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newFlakyREST(t, tc.fails, tc.failStatus)
			g := startGateway(t, restAPI(t, be.url, "", `<policies><inbound/><backend>`+tc.backend+`</backend>`+outbound+`<on-error/></policies>`))
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequestWithContext(testCtx(t), tc.method, g.url+"/orders/7", body)
			resp, got := do(t, req)
			if resp.StatusCode != tc.status || (tc.respBody != "" && got != tc.respBody) {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tc.status, tc.respBody)
			}
			if n := be.calls.Load(); n != tc.calls {
				t.Errorf("backend called %d times, want %d", n, tc.calls)
			}
			if tc.respBody != "" {
				if h := resp.Header.Get("X-Outbound"); h != fmt.Sprint(tc.status) {
					t.Errorf("outbound saw %q, want %d", h, tc.status)
				}
				if h := resp.Header.Get("X-Attempt"); h != fmt.Sprint(tc.calls) {
					t.Errorf("X-Attempt %q: not the last attempt's answer", h)
				}
			}
			be.mu.Lock()
			defer be.mu.Unlock()
			for i, b := range be.bodies {
				if b != tc.body {
					t.Errorf("attempt %d sent body %q, want %q", i+1, b, tc.body)
				}
			}
		})
	}
}

// A backend that does not answer (connection refused, or accepts and never
// answers) is a forward-request failure through on-error, as in APIM: not
// retried, and never a hang.
func TestRetryForwardRequestDeadBackend(t *testing.T) {
	for _, tc := range []struct {
		name, backend, timeout, reason string
		status                         int
	}{
		{"connection refused", "http://" + closedPort(t), "", "BackendConnectionFailure/forward-request", http.StatusBadGateway},
		{"never answers", "http://" + silentListener(t), ` timeout="1"`, "Timeout/forward-request", http.StatusGatewayTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, restAPI(t, tc.backend, "",
				`<policies><inbound/><backend><retry condition="@(true)" count="3" interval="0"><forward-request`+tc.timeout+`/></retry></backend><outbound/>
<on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Reason + "/" + context.LastError.Source)</value></set-header></on-error></policies>`))
			resp, _ := get(t, g.url+"/orders/1", nil)
			if resp.StatusCode != tc.status || resp.Header.Get("X-Reason") != tc.reason {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, resp.Header.Get("X-Reason"), tc.status, tc.reason)
			}
		})
	}
}

// WebSocket API: forward-request inside retry re-dials the backend while it
// refuses the upgrade; the session then runs on the last dial.
func TestRetryForwardRequestWebSocket(t *testing.T) {
	for _, tc := range []struct {
		name    string
		refuse  int64
		count   int
		upgrade bool
		dials   int64
	}{
		{"refuses twice then accepts", 2, 5, true, 3},
		{"refuses more than count: the refusal goes to the client", 10, 2, false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := newWSBackend(t)
			var dials atomic.Int64
			refusing := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
				if dials.Add(1) <= tc.refuse {
					w.Header().Set("Retry-After", "1")
					http.Error(w, "starting up", http.StatusServiceUnavailable)
					return
				}
				be.serve(w, r)
			})
			dir := t.TempDir()
			writeAPI(t, dir, "chat", fmt.Sprintf(`type="websocket" path="/chat" service-url="ws%s"`, strings.TrimPrefix(refusing.URL, "http")),
				fmt.Sprintf(`<policies><inbound/><backend><retry condition="@(context.Response.StatusCode != 101)" count="%d" interval="0"><forward-request timeout="5"/></retry></backend><outbound/><on-error/></policies>`, tc.count))
			g := startGateway(t, dir)
			c, resp, err := websocket.Dial(testCtx(t), g.ws+"/chat", nil)
			if got := dials.Load(); got != tc.dials {
				t.Errorf("backend dialed %d times, want %d", got, tc.dials)
			}
			if !tc.upgrade {
				if err == nil {
					c.CloseNow()
					t.Fatal("upgraded, want the backend's refusal")
				}
				if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
					t.Fatalf("refusal = %v, %v", resp, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			mustWrite(t, c, "hello")
			if got := mustRead(t, c); got != "hello" {
				t.Errorf("echo %q", got)
			}
			c.Close(websocket.StatusNormalClosure, "")
			if n := be.handshakes.Load(); n != 1 {
				t.Errorf("the backend accepted %d handshakes, want 1", n)
			}
		})
	}
}
