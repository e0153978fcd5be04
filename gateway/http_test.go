package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// restBackend records what reached it and answers with its handler.
type restBackend struct {
	url   string
	calls atomic.Int64
	last  atomic.Pointer[seenRequest]
}

type seenRequest struct {
	method, path, rawQuery string
	header                 http.Header
	body                   []byte
}

func newRESTBackend(t testing.TB, answer func(w http.ResponseWriter, r *http.Request)) *restBackend {
	rb := &restBackend{}
	ts := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		rb.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		rb.last.Store(&seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		if answer != nil {
			answer(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Backend", "yes")
		fmt.Fprint(w, "backend body")
	})
	rb.url = ts.URL
	return rb
}

// restAPI writes an http API "orders" at /orders.
func restAPI(t testing.TB, serviceURL, extraAttrs, policy string) string {
	dir := t.TempDir()
	writeAPI(t, dir, "orders", fmt.Sprintf(`type="http" path="/orders" service-url=%q %s`, serviceURL, extraAttrs), policy)
	return dir
}

func TestHTTPPolicies(t *testing.T) {
	type want struct {
		status      int
		body        string // exact, unless bodyHas
		bodyHas     string
		header      [2]string
		backendHits int64
		backend     func(t *testing.T, r *seenRequest)
	}
	tests := []struct {
		name    string
		policy  string
		backend func(w http.ResponseWriter, r *http.Request) // nil: default
		down    bool
		attrs   string
		request func(url string) *http.Request
		want    want
	}{
		{
			name: "inbound set-header and set-query-parameter reach the backend",
			policy: `<policies><inbound>
  <set-header name="X-Added" exists-action="override"><value>added</value></set-header>
  <set-header name="X-Drop" exists-action="delete"/>
  <set-query-parameter name="q" exists-action="override"><value>from policy</value></set-query-parameter>
</inbound></policies>`,
			request: func(url string) *http.Request {
				r, _ := http.NewRequest("GET", url+"/orders/42?keep=1&q=old", nil)
				r.Header.Set("X-Drop", "x")
				return r
			},
			want: want{status: 200, body: "backend body", backendHits: 1, backend: func(t *testing.T, r *seenRequest) {
				if r.header.Get("X-Added") != "added" || r.header.Get("X-Drop") != "" {
					t.Errorf("backend headers %v", r.header)
				}
				if r.path != "/42" {
					t.Errorf("backend path %q, want /42", r.path)
				}
				if !strings.Contains(r.rawQuery, "keep=1") || !strings.Contains(r.rawQuery, "q=from") || strings.Contains(r.rawQuery, "old") {
					t.Errorf("backend query %q", r.rawQuery)
				}
				if r.header.Get("X-Forwarded-For") == "" {
					t.Errorf("no X-Forwarded-For")
				}
			}},
		},
		// The backend request's headers are checked as they are copied
		// (copyOutboundHeaders): a field that is refused is refused whether
		// it would be sent as a field or not (Host), and nothing is sent.
		{
			name: "a header value with a control character made by a policy is a 400, nothing sent",
			policy: `<policies><inbound>
  <set-header name="X-Bad" exists-action="override"><value>@(System.Net.WebUtility.UrlDecode("a%01b"))</value></set-header>
</inbound></policies>`,
			want: want{status: 400, bodyHas: "X-Bad holds a control character", backendHits: 0},
		},
		{
			name: "a CR LF in a header value made from the query is a 400, nothing sent",
			policy: `<policies><inbound>
  <set-header name="X-From-Query" exists-action="override"><value>@(System.Net.WebUtility.UrlDecode(context.Request.Url.Query.GetValueOrDefault("v","")))</value></set-header>
</inbound></policies>`,
			request: func(url string) *http.Request {
				r, _ := http.NewRequest("GET", url+"/orders/1?v=x%0d%0aInjected:%201", nil)
				return r
			},
			want: want{status: 400, bodyHas: "X-From-Query holds a control character", backendHits: 0},
		},
		{
			name: "a Host set by a policy is checked too: 400",
			policy: `<policies><inbound>
  <set-header name="Host" exists-action="override"><value>@(System.Net.WebUtility.UrlDecode("b%00ad"))</value></set-header>
</inbound></policies>`,
			want: want{status: 400, bodyHas: "Host holds a control character", backendHits: 0},
		},
		{
			name: "the copy keeps the client's and the policies' fields, minus hop-by-hop, plus X-Forwarded-*",
			policy: `<policies><inbound>
  <set-header name="X-Multi" exists-action="append"><value>two</value><value>three</value></set-header>
</inbound></policies>`,
			request: func(url string) *http.Request {
				r, _ := http.NewRequest("GET", url+"/orders/1", nil)
				r.Header.Add("X-Multi", "one")
				r.Header.Set("X-Forwarded-For", "203.0.113.9")
				r.Header.Set("Connection", "X-Listed")
				r.Header.Set("X-Listed", "gone")
				r.Header.Set("Te", "trailers")
				r.Header.Set("Keep-Alive", "timeout=5")
				return r
			},
			want: want{status: 200, body: "backend body", backendHits: 1, backend: func(t *testing.T, r *seenRequest) {
				if got := r.header["X-Multi"]; strings.Join(got, ",") != "one,two,three" {
					t.Errorf("X-Multi %q, want one, two, three in order", got)
				}
				for _, k := range []string{"Keep-Alive", "X-Listed", "Te"} {
					if v, ok := r.header[k]; ok {
						t.Errorf("%s forwarded: %q", k, v)
					}
				}
				if got := r.header.Get("X-Forwarded-For"); !strings.HasPrefix(got, "203.0.113.9, 127.0.0.1") {
					t.Errorf("X-Forwarded-For %q, want the client's chain and its address", got)
				}
				if r.header.Get("X-Forwarded-Host") == "" || r.header.Get("X-Forwarded-Proto") != "http" {
					t.Errorf("X-Forwarded-Host/-Proto %v", r.header)
				}
			}},
		},
		{
			name: "outbound set-header, set-body and set-status change the response",
			policy: `<policies><outbound>
  <set-header name="X-Out" exists-action="override"><value>out</value></set-header>
  <set-status code="202" reason="Accepted"/>
  <set-body>@("wrapped(" + context.Response.Body.AsString() + ")")</set-body>
</outbound></policies>`,
			want: want{status: 202, body: "wrapped(backend body)", header: [2]string{"X-Out", "out"}, backendHits: 1},
		},
		{
			name: "inbound return-response answers without calling the backend",
			policy: `<policies><inbound>
  <return-response>
    <set-status code="418" reason="Teapot"/>
    <set-header name="X-Short" exists-action="override"><value>circuit</value></set-header>
    <set-body>short</set-body>
  </return-response>
</inbound></policies>`,
			want: want{status: 418, body: "short", header: [2]string{"X-Short", "circuit"}, backendHits: 0},
		},
		{
			name: "an empty backend section forwards nothing: outbound runs on a 200 with an empty body (APIM)",
			policy: `<policies><inbound/><backend/><outbound>
  <set-header name="X-Out" exists-action="override"><value>@(context.Response.StatusCode.ToString() + "/" + context.Response.Body.As<string>().Length.ToString())</value></set-header>
</outbound></policies>`,
			want: want{status: 200, body: "", header: [2]string{"X-Out", "200/0"}, backendHits: 0},
		},
		{
			name: "a backend section with only a comment forwards nothing",
			policy: `<policies><backend>
    <!-- nothing is forwarded -->
  </backend></policies>`,
			want: want{status: 200, body: "", backendHits: 0},
		},
		{
			name:   "a backend section of a base with nothing above it forwards",
			policy: `<policies><backend><base/></backend></policies>`,
			want:   want{status: 200, body: "backend body", backendHits: 1},
		},
		{
			name:   "a backend section with any policy in it forwards (tollgate: no forward-request needed)",
			policy: `<policies><backend><set-variable name="x" value="1"/></backend></policies>`,
			want:   want{status: 200, body: "backend body", backendHits: 1},
		},
		{
			name: "backend down is 502",
			down: true,
			want: want{status: 502, bodyHas: `"statusCode":502`},
		},
		{
			// on-error sees the forward-request step as the source, also when the
			// backend section has no forward-request of its own (Microsoft's
			// policy snippets log context.LastError.Source from on-error)
			name: "backend down through on-error",
			down: true,
			policy: `<policies><on-error>
  <return-response>
    <set-status code="503" reason="Unavailable"/>
    <set-body>@("on-error: " + context.LastError.Reason + " " + context.LastError.Source + " " + context.LastError.Section)</set-body>
  </return-response>
</on-error></policies>`,
			want: want{status: 503, body: "on-error: BackendConnectionFailure forward-request backend"},
		},
		{
			// the gateway's call after the backend section fails: LastError
			// names the forward-request that asked for it, as a policy's own
			// failure names its step (survey28 A4)
			name: "backend down: LastError names the forward-request",
			down: true,
			policy: `<policies><backend><forward-request id="fwd" timeout="5"/></backend><on-error>
  <return-response>
    <set-status code="503" reason="Unavailable"/>
    <set-body>@(context.LastError.Source + "|" + context.LastError.Scope + "|" + context.LastError.Section + "|" + context.LastError.Path + "|" + context.LastError.PolicyId)</set-body>
  </return-response>
</on-error></policies>`,
			want: want{status: 503, body: "forward-request|api|backend|backend/forward-request[1]|fwd"},
		},
		{
			name:    "forward-request timeout is 504",
			policy:  `<policies><backend><forward-request timeout="1"/></backend></policies>`,
			backend: func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Second) },
			want:    want{status: 504, bodyHas: `"statusCode":504`, backendHits: 1},
		},
		{
			name:    "api timeout is 504",
			attrs:   `timeout="1"`,
			backend: func(w http.ResponseWriter, r *http.Request) { time.Sleep(3 * time.Second) },
			want:    want{status: 504, bodyHas: `"statusCode":504`, backendHits: 1},
		},
		{
			name:    "without fail-on-error-status-code a backend 500 passes through",
			policy:  `<policies><backend><forward-request/></backend></policies>`,
			backend: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "backend broke", 500) },
			want:    want{status: 500, body: "backend broke\n", backendHits: 1},
		},
		{
			name: "fail-on-error-status-code runs on-error",
			policy: `<policies><backend><forward-request fail-on-error-status-code="true"/></backend>
<on-error><return-response><set-status code="502"/><set-body>@("failed: " + context.LastError.Reason)</set-body></return-response></on-error></policies>`,
			backend: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "backend broke", 500) },
			want:    want{status: 502, body: "failed: BackendErrorStatusCode", backendHits: 1},
		},
		{
			name: "a request body read by a policy is forwarded intact",
			policy: `<policies><inbound>
  <set-header name="X-Body-Len" exists-action="override"><value>@(string(len(context.Request.Body.AsString())))</value></set-header>
</inbound></policies>`,
			request: func(url string) *http.Request {
				r, _ := http.NewRequest("POST", url+"/orders", strings.NewReader(`{"id":42,"note":"intact"}`))
				return r
			},
			want: want{status: 200, body: "backend body", backendHits: 1, backend: func(t *testing.T, r *seenRequest) {
				if string(r.body) != `{"id":42,"note":"intact"}` || r.method != "POST" {
					t.Errorf("backend got %s %q", r.method, r.body)
				}
				if r.header.Get("X-Body-Len") != "25" {
					t.Errorf("X-Body-Len %q", r.header.Get("X-Body-Len"))
				}
			}},
		},
		{
			name: "a request body not read is forwarded too",
			request: func(url string) *http.Request {
				r, _ := http.NewRequest("PUT", url+"/orders/1", strings.NewReader("plain body"))
				return r
			},
			want: want{status: 200, body: "backend body", backendHits: 1, backend: func(t *testing.T, r *seenRequest) {
				if string(r.body) != "plain body" || r.method != "PUT" {
					t.Errorf("backend got %s %q", r.method, r.body)
				}
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rb *restBackend
			svc := "http://" + closedPort(t)
			if !tc.down {
				rb = newRESTBackend(t, tc.backend)
				svc = rb.url
			}
			g := startGateway(t, restAPI(t, svc, tc.attrs, tc.policy))
			var req *http.Request
			if tc.request != nil {
				req = tc.request(g.url)
			} else {
				req, _ = http.NewRequest("GET", g.url+"/orders", nil)
			}
			start := time.Now()
			resp, body := do(t, req.WithContext(testCtx(t)))
			if time.Since(start) > 15*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if resp.StatusCode != tc.want.status {
				t.Errorf("status %d, want %d (body %q)", resp.StatusCode, tc.want.status, body)
			}
			if tc.want.bodyHas != "" {
				if !strings.Contains(body, tc.want.bodyHas) {
					t.Errorf("body %q lacks %q", body, tc.want.bodyHas)
				}
			} else if body != tc.want.body {
				t.Errorf("body %q, want %q", body, tc.want.body)
			}
			if h := tc.want.header; h[0] != "" && resp.Header.Get(h[0]) != h[1] {
				t.Errorf("header %s = %q, want %q", h[0], resp.Header.Get(h[0]), h[1])
			}
			if rb != nil {
				if n := rb.calls.Load(); n != tc.want.backendHits {
					t.Errorf("the backend was called %d times, want %d", n, tc.want.backendHits)
				}
				if tc.want.backend != nil {
					if r := rb.last.Load(); r == nil {
						t.Error("the backend saw nothing")
					} else {
						tc.want.backend(t, r)
					}
				}
			}
		})
	}
}

// TestHTTPLargeResponseStreams sends a response far larger than
// max-body-size through an API whose policies never read it: it must pass
// whole, streamed (the first bytes arrive before the backend finished).
func TestHTTPLargeResponseStreams(t *testing.T) {
	const chunk = 64 << 10
	const chunks = 256 // 16 MiB
	release := make(chan struct{})
	var sum [32]byte
	{
		h := sha256.New()
		for i := 0; i < chunks; i++ {
			h.Write(bytes.Repeat([]byte{byte('a' + i%26)}, chunk))
		}
		copy(sum[:], h.Sum(nil))
	}
	rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		for i := 0; i < chunks; i++ {
			w.Write(bytes.Repeat([]byte{byte('a' + i%26)}, chunk))
			if i == 0 {
				w.(http.Flusher).Flush()
				select { // hold the rest until the client saw the start
				case <-release:
				case <-time.After(testTimeout):
				}
			}
		}
	})
	g := startGateway(t, restAPI(t, rb.url, `max-body-size="1048576"`,
		`<policies><outbound><set-header name="X-Seen" exists-action="override"><value>yes</value></set-header></outbound></policies>`))
	req, _ := http.NewRequestWithContext(testCtx(t), "GET", g.url+"/orders/big", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Seen") != "yes" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	first := make([]byte, chunk)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("the first chunk did not stream through: %v", err)
	}
	close(release)
	h := sha256.New()
	h.Write(first)
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if n+chunk != chunk*chunks || !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Errorf("got %d bytes (want %d), checksum match %v", n+chunk, chunk*chunks, bytes.Equal(h.Sum(nil), sum[:]))
	}
}

// cors's Vary: Origin joins the backend's Vary instead of replacing it, so
// shared caches keep keying on both.
func TestHTTPCorsKeepsBackendVary(t *testing.T) {
	be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = io.WriteString(w, "ok")
	})
	g := startGateway(t, restAPI(t, be.URL, "", `<policies><inbound>
  <cors><allowed-origins><origin>http://app.example</origin></allowed-origins><allowed-headers><header>*</header></allowed-headers></cors>
</inbound></policies>`))
	resp, body := get(t, g.url+"/orders", http.Header{"Origin": {"http://app.example"}})
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Values("Vary"); len(got) != 1 || got[0] != "Accept-Encoding, Origin" {
		t.Errorf("Vary = %q, want [\"Accept-Encoding, Origin\"]", got)
	}
	if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "http://app.example" {
		t.Errorf("Access-Control-Allow-Origin = %q", got)
	}
}

// An event stream with a Content-Length is passed on as it comes, not read
// whole first, whether the backend's answer says so (no policy saw it:
// serve takes that from the backend client's read, upstream.EventStream)
// or an outbound policy made it one (the map's Content-Type, looked up);
// a plain answer of the same length is read whole.
func TestHTTPEventStreamWithLength(t *testing.T) {
	const first, rest = "data: 1\n\n", "data: 2\n\n"
	for _, tc := range []struct {
		name, backendType, policy string
		streams                   bool
	}{
		{"the backend's event stream", "Text/Event-Stream; charset=utf-8", "", true},
		{"an outbound policy's", "text/plain", `<policies><outbound><set-header name="Content-Type" exists-action="override"><value>text/event-stream</value></set-header></outbound></policies>`, true},
		{"an outbound policy's plain type", "text/event-stream", `<policies><outbound><set-header name="Content-Type" exists-action="override"><value>text/plain</value></set-header></outbound></policies>`, false},
		{"a plain answer", "text/plain", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var once sync.Once
			open := func() { once.Do(func() { close(release) }) }
			defer open()
			rb := newRESTBackend(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.backendType)
				w.Header().Set("Content-Length", strconv.Itoa(len(first)+len(rest)))
				io.WriteString(w, first)
				w.(http.Flusher).Flush()
				select { // the rest once the client saw the first piece (or gave up)
				case <-release:
				case <-time.After(testTimeout):
				}
				io.WriteString(w, rest)
			})
			g := startGateway(t, restAPI(t, rb.url, "", tc.policy))
			type start struct {
				resp  *http.Response
				first string
			}
			got := make(chan start, 1)
			go func() { // the head waits with the body when the answer is read whole
				req, _ := http.NewRequestWithContext(testCtx(t), "GET", g.url+"/orders/events", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					got <- start{}
					return
				}
				b := make([]byte, len(first))
				n, _ := io.ReadFull(resp.Body, b)
				got <- start{resp, string(b[:n])}
			}()
			var st start
			select {
			case st = <-got:
				if !tc.streams {
					t.Fatalf("the first piece %q came before the backend sent the rest", st.first)
				}
				open()
			case <-time.After(time.Second):
				if tc.streams {
					t.Fatal("the first piece did not come before the backend sent the rest")
				}
				open()
				st = <-got
			}
			if st.resp == nil {
				t.Fatal("no answer")
			}
			defer st.resp.Body.Close()
			b, err := io.ReadAll(st.resp.Body)
			if err != nil || st.first != first || string(b) != rest {
				t.Fatalf("first %q, then %q (%v)", st.first, b, err)
			}
		})
	}
}

// A Host a policy sets, whatever the case its name is written in, is the
// Host the backend gets; none set: the backend URL's.
func TestHTTPPolicyHost(t *testing.T) {
	for _, tc := range []struct{ name, policy, want string }{
		{"set-header Host", `<policies><inbound><set-header name="Host" exists-action="override"><value>backend.example</value></set-header></inbound></policies>`, "backend.example"},
		{"set-header host", `<policies><inbound><set-header name="host" exists-action="override"><value>other.example:8080</value></set-header></inbound></policies>`, "other.example:8080"},
		{"none", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got atomic.Value
			be := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
				got.Store(r.Host)
				io.WriteString(w, "ok")
			})
			want := tc.want
			if want == "" {
				want = strings.TrimPrefix(be.URL, "http://")
			}
			g := startGateway(t, restAPI(t, be.URL, "", tc.policy))
			resp, body := get(t, g.url+"/orders/1", nil)
			if resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("%d %q", resp.StatusCode, body)
			}
			if h, _ := got.Load().(string); h != want {
				t.Fatalf("the backend got Host %q, want %q", h, want)
			}
		})
	}
}
