package gateway_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/policies"
	"tollgate/store"
)

// TestBackendTransports: the REST features that depend on the backend
// client behave the same over upstream and net/http: trailers, 103 Early
// Hints, HEAD, a body a policy read, a streamed chunked upload, and a
// keep-alive backend reused across requests.
func TestBackendTransports(t *testing.T) {
	for _, bt := range []string{gateway.BackendUpstream, gateway.BackendNetHTTP} {
		t.Run(bt, func(t *testing.T) {
			var conns atomic.Int32
			be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				switch r.URL.Path {
				case "/hints":
					w.Header().Set("Link", "</a.css>; rel=preload")
					w.WriteHeader(http.StatusEarlyHints)
					w.Header().Del("Link")
				case "/trailer":
					w.Header().Set("Trailer", "X-Sum")
					w.WriteHeader(200)
					io.WriteString(w, "part1,")
					w.(http.Flusher).Flush()
					io.WriteString(w, "part2")
					w.Header().Set("X-Sum", "11")
					return
				}
				w.Header().Set("X-Method", r.Method)
				w.Header().Set("X-Saw-UA", r.Header.Get("User-Agent"))
				io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(body))
			}))
			be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			be.Start()
			t.Cleanup(be.Close)
			dir := t.TempDir()
			writeAPI(t, dir, "rest", `type="http" path="/r" service-url="`+be.URL+`"`, "")
			writeAPI(t, dir, "read", `type="http" path="/read" service-url="`+be.URL+`"`,
				`<policies><inbound><set-header name="X-Len" exists-action="override"><value>@(context.Request.Body.As<string>(preserveContent: true).Length.ToString())</value></set-header></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
			g := startGateway(t, dir, func(o *gateway.Options) { o.BackendTransport = bt })

			var hints []string
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
					hints = append(hints, h.Get("Link"))
					return nil
				},
			})
			req, _ := http.NewRequestWithContext(ctx, "GET", g.url+"/r/hints", nil)
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "GET /hints " || len(hints) != 1 || hints[0] != "</a.css>; rel=preload" {
				t.Errorf("hints: %d %q %q", resp.StatusCode, body, hints)
			}

			// A client without a User-Agent: the backend gets none either
			// (neither net/http's default nor an empty field).
			req, _ = http.NewRequest("GET", g.url+"/r/ua", nil)
			req.Header.Set("User-Agent", "")
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "GET /ua " || resp.Header.Get("X-Saw-UA") != "" {
				t.Errorf("no User-Agent: %d %q, the backend saw %q", resp.StatusCode, body, resp.Header.Get("X-Saw-UA"))
			}

			resp, err := http.Get(g.url + "/r/trailer")
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(data) != "part1,part2" || resp.Trailer.Get("X-Sum") != "11" {
				t.Errorf("trailer: %q %v", data, resp.Trailer)
			}

			req, _ = http.NewRequest("HEAD", g.url+"/r/h", nil)
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "" || resp.Header.Get("X-Method") != "HEAD" {
				t.Errorf("HEAD: %d %q", resp.StatusCode, body)
			}

			req, _ = http.NewRequest("POST", g.url+"/read/p", strings.NewReader("hello"))
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "POST /p hello" {
				t.Errorf("policy-read POST: %d %q", resp.StatusCode, body)
			}

			req, _ = http.NewRequest("PUT", g.url+"/r/u", io.NopCloser(strings.NewReader(strings.Repeat("z", 100<<10))))
			req.ContentLength = -1 // chunked from the client, streamed to the backend
			if resp, body := do(t, req); resp.StatusCode != 200 || body != "PUT /u "+strings.Repeat("z", 100<<10) {
				t.Errorf("streamed PUT: %d, %d bytes", resp.StatusCode, len(body))
			}

			before := conns.Load()
			for i := 0; i < 5; i++ {
				if resp, _ := get(t, g.url+"/r/again", nil); resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
			}
			// On the loop front each loop keeps its own backend pool: the
			// client's connection may be served by a loop whose pool had
			// none yet (one dial), never more.
			allowed := int32(0)
			if h1test.Front() == "loop" {
				allowed = 1
			}
			if n := conns.Load(); n-before > allowed {
				t.Errorf("%d new backend connections for 5 sequential requests, want at most %d", n-before, allowed)
			}
		})
	}
}

func TestBackendTransportUnknown(t *testing.T) {
	_, err := gateway.New(gateway.Options{Dir: t.TempDir(), Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zap.NewNop(), Getenv: func(string) string { return "" }, BackendTransport: "h3"})
	if err == nil || !strings.Contains(err.Error(), `backend transport "h3"`) {
		t.Fatalf("error %v", err)
	}
}
