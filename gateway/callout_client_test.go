//go:build linux

package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/gateway/internal/evloop"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// releasedStep records, for each request it runs in, whether the
// request's event-loop task is still released (or there is none): what
// the policies after a call-out may count on.
type releasedStep struct{ released chan<- bool }

func (r releasedStep) Run(ctx context.Context, s *engine.State) error {
	t := evloop.TaskFrom(ctx)
	r.released <- t == nil || t.Released()
	return nil
}

// send-request through gateway.NewCalloutClient, on both clients, from a
// request served on the event-loop front: the call-out's answer reaches
// the policy (status, a header, the body), call-outs reuse one pooled
// connection, a call-out past its timeout is a 504, and the request is
// still released after its call-out. With upstream on the loop's own pool
// (without OffLoop), the call-out's wait for its answer took the task
// back onto the loop, and a policy after it that blocks would have
// stalled the loop's other connections.
func TestCalloutClient(t *testing.T) {
	for _, kind := range []string{gateway.BackendUpstream, gateway.BackendNetHTTP} {
		t.Run(kind, func(t *testing.T) {
			var mu sync.Mutex
			conns := map[string]bool{}
			callout := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				conns[r.RemoteAddr] = true
				mu.Unlock()
				body, _ := io.ReadAll(r.Body) // then the server notices the caller's close (the context)
				if r.URL.Path == "/slow" {
					select {
					case <-time.After(3 * time.Second):
					case <-r.Context().Done():
					}
					return
				}
				time.Sleep(20 * time.Millisecond) // the caller waits for the answer
				w.Header().Set("X-Callout", "yes")
				w.WriteHeader(201)
				fmt.Fprintf(w, "%s %s", r.Method, body)
			}))
			t.Cleanup(callout.Close)
			backend := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, "%s|%s|%s", r.Header.Get("X-Status"), r.Header.Get("X-Header"), r.Header.Get("X-Body"))
			})

			client, err := gateway.NewCalloutClient(kind)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(client.CloseIdleConnections)
			released := make(chan bool, 16)
			reg := policies.Registry(policies.Deps{Store: store.NewMemory(), HTTPClient: client})
			reg["test-released"] = engine.Policy{Sections: engine.AllSections, Parse: func(p *engine.Parser) engine.Step {
				return releasedStep{released: released}
			}}
			dir := t.TempDir()
			writeAPI(t, dir, "callout", fmt.Sprintf(`type="http" path="/callout" service-url=%q`, backend.URL), fmt.Sprintf(`<policies><inbound>
  <send-request mode="new" response-variable-name="r" timeout="1" ignore-error="false">
    <set-url>@("%s" + context.Request.OriginalUrl.Path.Substring(8))</set-url>
    <set-method>POST</set-method>
    <set-body>token=t0k3n</set-body>
  </send-request>
  <test-released />
  <set-header name="X-Status" exists-action="override"><value>@(((IResponse)context.Variables["r"]).StatusCode.ToString())</value></set-header>
  <set-header name="X-Header" exists-action="override"><value>@(((IResponse)context.Variables["r"]).Headers.GetValueOrDefault("X-Callout", "none"))</value></set-header>
  <set-header name="X-Body" exists-action="override"><value>@(((IResponse)context.Variables["r"]).Body.As<string>())</value></set-header>
</inbound></policies>`, callout.URL))
			srv, err := gateway.New(gateway.Options{Dir: dir, Registry: reg, Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
			if err != nil {
				t.Fatal(err)
			}
			base := serveOnOneLoop(t, srv)
			get := func(path string) (int, string) {
				t.Helper()
				res, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				return res.StatusCode, string(b)
			}
			for i := range 3 {
				if code, body := get("/callout/token"); code != 200 || body != "201|yes|POST token=t0k3n" {
					t.Fatalf("request %d: %d %q", i, code, body)
				}
				if !<-released {
					t.Fatalf("request %d: back on its loop after the call-out", i)
				}
			}
			mu.Lock()
			n := len(conns)
			mu.Unlock()
			if n != 1 {
				t.Errorf("the call-out server saw %d connections for 3 call-outs; want 1", n)
			}

			start := time.Now()
			if code, _ := get("/callout/slow"); code != 504 {
				t.Errorf("a call-out past its timeout: %d, want 504", code)
			}
			if d := time.Since(start); d > 2500*time.Millisecond {
				t.Errorf("a call-out with timeout=1 took %v", d)
			}
		})
	}
}

// A hostile or broken call-out server, on a raw socket, against the
// call-out client serve uses: every answer that is not a well-formed
// HTTP/1.1 response is a failed call (SendRequestFailure, a 502 unless
// ignore-error), in bounded time and memory, and a malformed answer never
// leaves a connection for the next call. What the REST client's strict
// parser refuses, it refuses for call-outs too (docs/backend-transport.md).
func TestCalloutClientHostileServer(t *testing.T) {
	endless := "HTTP/1.1 200 OK\r\nX-Pad: " + strings.Repeat("a", 2<<20) // a head that never ends, over the 1 MiB bound
	for _, tc := range []struct {
		name, answer string
		want         string // the on-error reason, or the body the policy saw
	}{
		{"well-formed", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok"},
		{"garbage status line", "HTTP/9 what\r\n\r\n", "SendRequestFailure"},
		{"no answer, closed", "", "SendRequestFailure"},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!", "SendRequestFailure"},
		{"folded header line", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 2\r\n\r\nok", "SendRequestFailure"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", "SendRequestFailure"},
		{"closed inside the body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", "SendRequestFailure"},
		{"endless head", endless, "SendRequestFailure"},
		{"length and chunked: chunked wins", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := testutil.ServeTCP(t, func(c net.Conn) {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, tc.answer)
			})
			backend := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Header.Get("X-Seen")) })
			client, err := gateway.NewCalloutClient(gateway.BackendUpstream)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(client.CloseIdleConnections)
			dir := t.TempDir()
			writeAPI(t, dir, "callout", fmt.Sprintf(`type="http" path="/callout" service-url=%q`, backend.URL), fmt.Sprintf(`<policies><inbound>
  <send-request mode="new" response-variable-name="r" timeout="5" ignore-error="false">
    <set-url>http://%s/x</set-url>
    <set-method>GET</set-method>
  </send-request>
  <set-header name="X-Seen" exists-action="override"><value>@(((IResponse)context.Variables["r"]).Body.As<string>())</value></set-header>
</inbound>
<on-error><return-response><set-status code="502"/><set-body>@(context.LastError.Reason)</set-body></return-response></on-error></policies>`, addr))
			g := startGateway(t, dir, func(o *gateway.Options) {
				o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), HTTPClient: client})
			})
			hc := &http.Client{Timeout: 10 * time.Second}
			for i := range 2 { // the second call must not meet what the first left
				start := time.Now()
				res, err := hc.Get(g.url + "/callout/y")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if string(b) != tc.want {
					t.Fatalf("call %d: %d %q, want %q", i, res.StatusCode, b, tc.want)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("call %d took %v", i, d)
				}
			}
		})
	}
}
