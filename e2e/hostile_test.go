package e2e

// Attack cases against a real gateway with real backends, over raw sockets:
// what a hostile client (or a hostile backend) sends is written byte for
// byte, and what comes back is read as it is.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// rawResponse is what came back on a raw socket.
type rawResponse struct {
	status int
	header http.Header
	body   string
	closed bool // the gateway closed the connection after answering
}

// rawRoundTrip writes req as it is on a new connection to addr and reads one
// response. The connection is kept to see whether the gateway closes it.
func rawRoundTrip(t *testing.T, addr, req string) rawResponse {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return readRawResponse(t, c, false)
}

// rawRoundTripClose is rawRoundTrip that also waits (up to 2 s) to see
// whether the gateway closes the connection after answering.
func rawRoundTripClose(t *testing.T, addr, req string) rawResponse {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return readRawResponse(t, c, true)
}

func readRawResponse(t *testing.T, c net.Conn, checkClose bool) rawResponse {
	t.Helper()
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(resp.Body)
	}
	resp.Body.Close()
	out := rawResponse{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if checkClose && resp.StatusCode != http.StatusSwitchingProtocols {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err = br.ReadByte()
		out.closed = err == io.EOF || (err != nil && !isTimeout(err))
	}
	return out
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// fileBackend serves /public/* and /private/secret.txt the way many
// backends do: the path is decoded (%2F included) and cleaned before it is
// looked up. It records the request targets it received.
type fileBackend struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newFileBackend(t *testing.T) *fileBackend {
	fb := &fileBackend{}
	fb.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fb.mu.Lock()
		fb.seen = append(fb.seen, r.RequestURI)
		fb.mu.Unlock()
		raw, _, _ := strings.Cut(r.RequestURI, "?")
		dec, err := url.PathUnescape(raw)
		if err != nil {
			http.Error(w, "bad", 400)
			return
		}
		p := path.Clean(strings.ReplaceAll(dec, "\\", "/"))
		switch {
		case p == "/private/secret.txt":
			if websocket := r.Header.Get("Upgrade"); websocket != "" {
				acceptAndClose(w, r)
				return
			}
			_, _ = io.WriteString(w, "TOP-SECRET")
		case strings.HasPrefix(p, "/public/"):
			if r.Header.Get("Upgrade") != "" {
				acceptAndClose(w, r)
				return
			}
			_, _ = io.WriteString(w, "public:"+p)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fb.Close)
	return fb
}

func (fb *fileBackend) last() string {
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if len(fb.seen) == 0 {
		return ""
	}
	return fb.seen[len(fb.seen)-1]
}

func acceptAndClose(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	_ = c.Write(r.Context(), websocket.MessageText, []byte(r.URL.Path))
	c.Close(websocket.StatusNormalClosure, "")
}

// twoAPIs writes a folder with a public and a private API of the given type
// on one backend; only the private one checks a header.
func twoAPIs(t *testing.T, typ, prefix, backend string, extra string) string {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "pub", "api.xml"),
		fmt.Sprintf(`<api name="%s-pub" type="%s" path="/%s/public" service-url="%s/public/" %s/>`, prefix, typ, prefix, backend, extra))
	testutil.WriteFile(t, filepath.Join(dir, "priv", "api.xml"),
		fmt.Sprintf(`<api name="%s-priv" type="%s" path="/%s/private" service-url="%s/private/" %s/>`, prefix, typ, prefix, backend, extra))
	testutil.WriteFile(t, filepath.Join(dir, "priv", "policy.xml"), `<policies><inbound>
  <check-header name="X-Key" failed-check-httpcode="401" failed-check-error-message="key missing" ignore-case="false"><value>k1</value></check-header>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	return dir
}

func hostileGateway(t *testing.T, dir string) string {
	t.Helper()
	u := serveGateway(t, gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Log: zap.NewNop()}),
		Getenv:   func(string) string { return "" },
	})
	return strings.TrimPrefix(u, "http://")
}

// Defect 1: dot segments (as sent, or encoded) must not lead from a public
// API into another API's backend path without that API's policy.
func TestHostileDotSegmentsHTTP(t *testing.T) {
	fb := newFileBackend(t)
	addr := hostileGateway(t, twoAPIs(t, "http", "files", fb.URL, ""))
	for _, tc := range []struct {
		name, target, header string
		status               int
		forwarded            string // the request target the backend got; "" when it must get none
	}{
		{"plain", "/files/public/../private/secret.txt", "", 401, ""},
		{"encoded dots", "/files/public/%2e%2e/private/secret.txt", "", 401, ""},
		{"upper-case encoded dots", "/files/public/%2E%2E/private/secret.txt", "", 401, ""},
		{"half-encoded dots", "/files/public/.%2e/private/secret.txt", "", 401, ""},
		{"double slash then dots", "/files/public//../private/secret.txt", "", 401, ""},
		{"single dot", "/files/public/./../private/secret.txt", "", 401, ""},
		{"absolute form", "http://gw/files/public/../private/secret.txt", "", 401, ""},
		{"encoded slash", "/files/public/..%2Fprivate/secret.txt", "", 400, ""},
		{"encoded slash lower", "/files/public/..%2fprivate/secret.txt", "", 400, ""},
		{"encoded backslash", "/files/public/..%5Cprivate/secret.txt", "", 400, ""},
		{"dot segment with parameters", "/files/public/..;/private/secret.txt", "", 400, ""},
		{"above the root", "/files/../../private/secret.txt", "", 400, ""},
		{"NUL", "/files/public/a%00.txt", "", 400, ""},
		{"bad escape", "/files/public/%zz", "", 400, ""},
		{"with the key it routes to the private API", "/files/public/../private/secret.txt", "X-Key: k1\r\n", 200, "/private/secret.txt"},
		{"dots inside the public API stay there", "/files/public/a/../b.txt", "", 200, "/public/b.txt"},
		{"encoded unreserved characters are decoded", "/files/public/%7Eme/%61.txt", "", 200, "/public/~me/a.txt"},
		{"other escapes are kept", "/files/public/a%20b.txt", "", 200, "/public/a%20b.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fb.last()
			resp := rawRoundTrip(t, addr, "GET "+tc.target+" HTTP/1.1\r\nHost: gw\r\n"+tc.header+"\r\n")
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.status, tc.status, resp.body)
			}
			if strings.Contains(resp.body, "TOP-SECRET") && tc.header == "" {
				t.Fatalf("the private file leaked: %q", resp.body)
			}
			got := fb.last()
			if tc.forwarded == "" && got != before {
				t.Fatalf("the backend was called with %q", got)
			}
			if tc.forwarded != "" && got != tc.forwarded {
				t.Fatalf("the backend got %q, want exactly %q", got, tc.forwarded)
			}
		})
	}
}

// Defect 1 on WebSocket APIs: the upgrade is routed by the normalised path.
func TestHostileDotSegmentsWebSocket(t *testing.T) {
	fb := newFileBackend(t)
	addr := hostileGateway(t, twoAPIs(t, "websocket", "ws", "ws"+strings.TrimPrefix(fb.URL, "http"), ""))
	upgrade := "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for _, tc := range []struct {
		name, target, header string
		status               int
	}{
		{"plain", "/ws/public/../private/secret.txt", "", 401},
		{"encoded dots", "/ws/public/%2e%2e/private/secret.txt", "", 401},
		{"encoded slash", "/ws/public/..%2Fprivate/secret.txt", "", 400},
		{"with the key", "/ws/public/../private/secret.txt", "X-Key: k1\r\n", 101},
		{"inside the public API", "/ws/public/x/../y", "", 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawRoundTrip(t, addr, "GET "+tc.target+" HTTP/1.1\r\nHost: gw\r\n"+upgrade+tc.header+"\r\n")
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", resp.status, tc.status, resp.body)
			}
		})
	}
}

// echoBackend answers 200 with the length of the body it read.
func echoLenBackend(t *testing.T) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %d", len(b))
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// bodyAPIs writes two HTTP APIs on backend: /stream forwards the body as
// it comes, /read has a policy that reads it.
func bodyAPIs(t *testing.T, backend, attrs string) string {
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "stream", "api.xml"),
		fmt.Sprintf(`<api name="stream" type="http" path="/stream" service-url="%s" %s/>`, backend, attrs))
	testutil.WriteFile(t, filepath.Join(dir, "read", "api.xml"),
		fmt.Sprintf(`<api name="read" type="http" path="/read" service-url="%s" %s/>`, backend, attrs))
	testutil.WriteFile(t, filepath.Join(dir, "read", "policy.xml"), `<policies><inbound>
  <set-variable name="b" value="@(context.Request.Body.AsString())"/>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	return dir
}

// Defect 4: a body announced and never sent is answered 408 and the
// connection closed once body-timeout has passed, whether a policy reads
// the body or the proxy streams it.
func TestHostileStalledBody(t *testing.T) {
	addr := hostileGateway(t, bodyAPIs(t, echoLenBackend(t), `body-timeout="1" max-body-size="100"`))
	for _, p := range []string{"/stream/x", "/read/x"} {
		t.Run(p, func(t *testing.T) {
			resp := rawRoundTripClose(t, addr, "POST "+p+" HTTP/1.1\r\nHost: gw\r\nContent-Length: 50\r\n\r\nabc")
			if resp.status != http.StatusRequestTimeout || !resp.closed {
				t.Fatalf("status %d, closed %v (body %q); want 408 and closed", resp.status, resp.closed, resp.body)
			}
		})
	}
	// A body that announces more than max-body-size is refused before a
	// byte of it is read, when a policy would read it: 413, not the 408 of
	// waiting for the rest.
	t.Run("declared too large", func(t *testing.T) {
		resp := rawRoundTripClose(t, addr, "POST /read/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000000\r\n\r\nabc")
		if resp.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d (body %q); want 413", resp.status, resp.body)
		}
	})
}

// Defect 4: stalled bodies cannot pile up: with max-pending-bodies=2 a
// third body arriving expires the oldest one at once, long before its
// body-timeout, and a complete request still gets through.
func TestHostileStalledBodiesCapped(t *testing.T) {
	dir := bodyAPIs(t, echoLenBackend(t), `body-timeout="60"`)
	addr := strings.TrimPrefix(serveGateway(t, gateway.Options{
		Dir: dir, Registry: policies.Registry(policies.Deps{Log: zap.NewNop()}),
		Getenv: func(string) string { return "" }, MaxPendingBodies: 2,
	}), "http://")
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "POST /stream/%d HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\nab", i)
		conns = append(conns, c)
		time.Sleep(100 * time.Millisecond) // in this order
	}
	resp := readRawResponse(t, conns[0], true)
	if resp.status != http.StatusRequestTimeout || !resp.closed {
		t.Fatalf("the oldest stalled body: %d closed=%v; want 408 and closed", resp.status, resp.closed)
	}
	ok := rawRoundTrip(t, addr, "POST /stream/ok HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello")
	if ok.status != 200 || ok.body != "got 5" {
		t.Fatalf("a complete request: %d %q", ok.status, ok.body)
	}
}

// Defect 8: the client's body faults are the client's: a body over
// max-body-size that a policy reads is 413, a malformed chunked body 400,
// both closing the connection; a request with both Content-Length and
// Transfer-Encoding ends the connection after its answer (RFC 9112 §6.1):
// tollgate's own server refuses it with 400, net/http's drops the
// Content-Length and answers (the RFC allows either).
func TestHostileBadBodies(t *testing.T) {
	addr := hostileGateway(t, bodyAPIs(t, echoLenBackend(t), `max-body-size="10"`))
	clte := 400
	if h1test.Front() == "nethttp" {
		clte = 200
	}
	for _, tc := range []struct {
		name, req string
		status    int
		closed    bool
	}{
		{"too large for a policy", "POST /read/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 20\r\n\r\n01234567890123456789", 413, true},
		{"small enough", "POST /read/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello", 200, false},
		{"malformed chunked, streamed", "POST /stream/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, true},
		{"malformed chunked, read by a policy", "POST /read/x HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, true},
		{"Content-Length and Transfer-Encoding", "POST /stream/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", clte, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := rawRoundTripClose(t, addr, tc.req)
			if resp.status != tc.status || resp.closed != tc.closed {
				t.Fatalf("status %d closed=%v (body %q); want %d closed=%v", resp.status, resp.closed, resp.body, tc.status, tc.closed)
			}
		})
	}
}

// hostileBackend accepts TCP connections and runs serve on each.
func hostileBackend(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); serve(c) }()
		}
	}()
	return ln.Addr().String()
}

// Defect 5: a backend answering 101 followed by endless header lines gets
// a 502 once the response head passes its bound, not the gateway's memory.
func TestHostileEndlessHandshakeHeaders(t *testing.T) {
	be := hostileBackend(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(c)
		for { // the request head
			line, err := br.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\n"); err != nil {
			return
		}
		line := []byte("X-Filler: " + strings.Repeat("a", 4000) + "\r\n")
		for {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	})
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "ws", "api.xml"),
		`<api name="ws" type="websocket" path="/ws" service-url="ws://`+be+`/" handshake-timeout="15"/>`)
	addr := hostileGateway(t, dir)
	start := time.Now()
	resp := rawRoundTrip(t, addr, "GET /ws/x HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if resp.status != http.StatusBadGateway {
		t.Fatalf("status %d after %s (body %q); want 502", resp.status, time.Since(start), resp.body)
	}
}

// Defect 3: an expression building gigabytes out of few elements fails on
// its byte budget (500, the gateway lives on), and a CPU-heavy one stops
// at policy-timeout instead of running for minutes.
func TestHostileExpressions(t *testing.T) {
	dir := t.TempDir()
	backend := echoLenBackend(t)
	for name, expr := range map[string]string{
		"memory": `@(len(join(map(1..5000, repeat("x", 1000000)), "")))`,
		"cpu":    `@{ let s = repeat("c", 1000000); len(filter(1..250000, indexOf(s, "d") > 0)) }`,
	} {
		testutil.WriteFile(t, filepath.Join(dir, name, "api.xml"),
			fmt.Sprintf(`<api name="%s" type="http" path="/%s" service-url="%s" policy-timeout="1" max-expression-bytes="1073741824"/>`, name, name, backend))
		testutil.WriteFile(t, filepath.Join(dir, name, "policy.xml"),
			`<policies><inbound><set-variable name="n" value="`+strings.ReplaceAll(expr, `"`, "&quot;")+`"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	}
	testutil.WriteFile(t, filepath.Join(dir, "default-memory", "api.xml"),
		fmt.Sprintf(`<api name="default-memory" type="http" path="/default-memory" service-url="%s"/>`, backend))
	testutil.WriteFile(t, filepath.Join(dir, "default-memory", "policy.xml"),
		`<policies><inbound><set-variable name="n" value="@(len(join(map(1..5000, repeat(&quot;x&quot;, 1000000)), &quot;&quot;)))"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	addr := hostileGateway(t, dir)
	for _, p := range []string{"/default-memory/x", "/cpu/x", "/memory/x"} {
		t.Run(p, func(t *testing.T) {
			start := time.Now()
			resp := rawRoundTrip(t, addr, "GET "+p+" HTTP/1.1\r\nHost: gw\r\n\r\n")
			if resp.status != 500 {
				t.Fatalf("status %d (body %q); want 500", resp.status, resp.body)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("answered after %s; policy-timeout is 1 s", d)
			}
		})
	}
}

// loadWithin runs gateway.Load on dir and fails the test if it does not
// return within 5 s (a read that blocks, or grows without end).
func loadWithin(t *testing.T, dir string) []string {
	t.Helper()
	done := make(chan []string, 1)
	go func() {
		_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Log: zap.NewNop()}), gateway.LoadOptions{Getenv: func(string) string { return "" }})
		var out []string
		for _, e := range errs {
			out = append(out, e.Error())
		}
		done <- out
	}()
	select {
	case errs := <-done:
		return errs
	case <-time.After(5 * time.Second):
		t.Fatalf("loading %s did not finish in 5 s", dir)
	}
	return nil
}

// Defect 6: hostile files in the apis folder are errors at once: a link to
// /dev/zero, FIFOs (which block an ordinary read forever), a huge file.
func TestHostileConfigFiles(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		make       func(t *testing.T, path string)
		want       string
	}{
		{"api.xml links to /dev/zero", "a/api.xml", func(t *testing.T, p string) { must(t, os.Symlink("/dev/zero", p)) }, "not a regular file"},
		{"api.xml is a FIFO", "a/api.xml", mkfifo, "not a regular file"},
		{"policy.xml is a FIFO", "a/policy.xml", mkfifo, "not a regular file"},
		{"named-values.xml is a FIFO", "named-values.xml", mkfifo, "not a regular file"},
		{"a fragment is a FIFO", "fragments/f.xml", mkfifo, "not a regular file"},
		{"policy.xml is huge", "a/policy.xml", func(t *testing.T, p string) {
			must(t, os.WriteFile(p, []byte("<policies>"+strings.Repeat(" ", 9<<20)+"</policies>"), 0o644))
		}, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
			must(t, os.MkdirAll(filepath.Join(dir, "fragments"), 0o755))
			if tc.file != "a/api.xml" {
				testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), `<api name="a" type="http" path="/a" service-url="http://127.0.0.1:1/"/>`)
			}
			tc.make(t, filepath.Join(dir, tc.file))
			errs := loadWithin(t, dir)
			if !strings.Contains(strings.Join(errs, "\n"), tc.want) {
				t.Fatalf("errors %q, want one with %q", errs, tc.want)
			}
		})
	}
}

// Defect 6: a FIFO dropped into a watched folder does not wedge the
// watcher: later edits still apply, and Close (SIGTERM) returns at once.
// A link into a huge tree adds no thousands of watches.
func TestHostileWatchedFolder(t *testing.T) {
	fb := newFileBackend(t)
	dir := twoAPIs(t, "http", "files", fb.URL, "")
	huge := t.TempDir()
	for i := 0; i < 50; i++ {
		must(t, os.MkdirAll(filepath.Join(huge, fmt.Sprint(i), "a", "b", "c"), 0o755))
	}
	must(t, os.Symlink(huge, filepath.Join(dir, "huge")))
	gw, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Log: zap.NewNop()}), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := gateway.WatchWith(ctx, gw, dir, zap.NewNop(), gateway.WatchOptions{Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.Folders()); n > 10 {
		t.Errorf("%d folders watched for a tree of 4 API-level folders", n)
	}
	must(t, os.MkdirAll(filepath.Join(dir, "fifo"), 0o755))
	mkfifo(t, filepath.Join(dir, "fifo", "api.xml"))
	time.Sleep(200 * time.Millisecond) // the watcher reloads and reports the FIFO
	must(t, os.Remove(filepath.Join(dir, "fifo", "api.xml")))
	testutil.WriteFile(t, filepath.Join(dir, "new", "api.xml"), `<api name="new" type="http" path="/new" service-url="`+fb.URL+`/public/"/>`)
	deadline := time.Now().Add(5 * time.Second)
	for gw.Current().API("new") == nil {
		if time.Now().After(deadline) {
			t.Fatal("an edit after the FIFO was never applied")
		}
		time.Sleep(10 * time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- w.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Watcher.Close hangs")
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	must(t, syscall.Mkfifo(path, 0o644))
	// Whatever was blocked opening it is released when the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// headerBackend answers with the request headers it got, as JSON: in the
// body for HTTP, in the first message for a WebSocket upgrade.
func headerBackend(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var calls atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := json.Marshal(r.Header)
		if r.Header.Get("Upgrade") != "" {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true}) // Origin is the gateway's to check
			if err != nil {
				return
			}
			_ = c.Write(r.Context(), websocket.MessageText, b)
			c.Close(websocket.StatusNormalClosure, "")
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(ts.Close)
	return ts, &calls
}

// readTextFrame reads one unmasked server text frame after a 101.
func readTextFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		var e [2]byte
		_, _ = io.ReadFull(br, e[:])
		n = int(e[0])<<8 | int(e[1])
	case 127:
		t.Fatal("frame too long")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return string(p)
}

// Defect 8: hop-by-hop headers named in Connection never reach the backend
// (REST and WebSocket), a header a policy sets survives a client naming it
// in Connection, and X-Forwarded-For is appended to; CRLF that a policy
// copies from decoded client data into a header is a 400, with no backend
// call; allowed-hosts refuses a Host it does not list (DNS rebinding).
func TestHostileHeaders(t *testing.T) {
	be, calls := headerBackend(t)
	dir := t.TempDir()
	policy := `<policies><inbound>
  <set-header name="X-Policy" exists-action="override"><value>from-policy</value></set-header>
  <set-header name="X-User" exists-action="override"><value>@(context.Request.Url.Query.GetValueOrDefault("u", "-"))</value></set-header>
</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`
	testutil.WriteFile(t, filepath.Join(dir, "rest", "api.xml"), `<api name="rest" type="http" path="/rest" service-url="`+be.URL+`" allowed-hosts="gw, *.example.com"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "rest", "policy.xml"), policy)
	testutil.WriteFile(t, filepath.Join(dir, "ws", "api.xml"), `<api name="ws" type="websocket" path="/ws" service-url="ws`+strings.TrimPrefix(be.URL, "http")+`" allowed-hosts="gw"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "ws", "policy.xml"), policy)
	addr := hostileGateway(t, dir)
	upgrade := "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	hop := "Connection: X-Hop, X-Policy\r\nX-Hop: secret-hop\r\nX-Forwarded-For: 10.9.9.9\r\n"

	check := func(t *testing.T, raw string) {
		var h http.Header
		if err := json.Unmarshal([]byte(raw), &h); err != nil {
			t.Fatalf("%v: %q", err, raw)
		}
		if h.Get("X-Hop") != "" {
			t.Errorf("the backend got X-Hop, which Connection named: %v", h)
		}
		if h.Get("X-Policy") != "from-policy" {
			t.Errorf("the policy's X-Policy was stripped: %v", h)
		}
		if xff := h.Get("X-Forwarded-For"); xff != "10.9.9.9, 127.0.0.1" {
			t.Errorf("X-Forwarded-For %q", xff)
		}
		if h.Get("X-Forwarded-Host") != "gw" || h.Get("X-Forwarded-Proto") != "http" {
			t.Errorf("X-Forwarded-Host/Proto: %v", h)
		}
	}
	t.Run("REST hop-by-hop", func(t *testing.T) {
		resp := rawRoundTrip(t, addr, "GET /rest/x HTTP/1.1\r\nHost: gw\r\n"+hop+"\r\n")
		if resp.status != 200 {
			t.Fatalf("status %d %q", resp.status, resp.body)
		}
		check(t, resp.body)
	})
	t.Run("WebSocket hop-by-hop", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		must(t, err)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET /ws/x HTTP/1.1\r\nHost: gw\r\n%sConnection: Upgrade\r\n%s\r\n", upgrade, strings.Replace(hop, "Connection: ", "Connection: Upgrade, ", 1))
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		must(t, err)
		if resp.StatusCode != 101 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		check(t, readTextFrame(t, br))
	})
	for _, tc := range []struct{ name, req string }{
		{"REST CRLF in a header", "GET /rest/x?u=a%0d%0aX-Admin:%20yes HTTP/1.1\r\nHost: gw\r\n\r\n"},
		{"REST NUL in a header", "GET /rest/x?u=a%00b HTTP/1.1\r\nHost: gw\r\n\r\n"},
		{"WebSocket CRLF in a header", "GET /ws/x?u=a%0d%0aX-Admin:%20yes HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\n" + upgrade + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.Load()
			resp := rawRoundTrip(t, addr, tc.req)
			if resp.status != 400 || calls.Load() != before {
				t.Fatalf("status %d (body %q), backend calls %d; want 400 and none", resp.status, resp.body, calls.Load()-before)
			}
		})
	}
	for _, tc := range []struct {
		name, req string
		status    int
	}{
		{"REST listed host", "GET /rest/x HTTP/1.1\r\nHost: gw:8080\r\n\r\n", 200},
		{"REST pattern host", "GET /rest/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n", 200},
		{"REST other host", "GET /rest/x HTTP/1.1\r\nHost: evil.test\r\n\r\n", 421},
		{"WebSocket DNS rebinding", "GET /ws/x HTTP/1.1\r\nHost: evil.test:8080\r\nOrigin: http://evil.test:8080\r\nConnection: Upgrade\r\n" + upgrade + "\r\n", 421},
		{"WebSocket listed host", "GET /ws/x HTTP/1.1\r\nHost: gw\r\nOrigin: http://gw\r\nConnection: Upgrade\r\n" + upgrade + "\r\n", 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp := rawRoundTrip(t, addr, tc.req); resp.status != tc.status {
				t.Fatalf("status %d (body %q), want %d", resp.status, resp.body, tc.status)
			}
		})
	}
}

// Defect 8: a UTF-8 byte order mark before the root element is accepted,
// as XML allows, in every kind of file.
func TestHostileBOM(t *testing.T) {
	const bom = "\xef\xbb\xbf"
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "named-values.xml"), bom+`<named-values><named-value name="n">v</named-value></named-values>`)
	testutil.WriteFile(t, filepath.Join(dir, "policy.xml"), bom+`<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	testutil.WriteFile(t, filepath.Join(dir, "fragments", "f.xml"), bom+`<fragment><set-header name="X-F" exists-action="override"><value>{{n}}</value></set-header></fragment>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), bom+`<api name="a" type="http" path="/a" service-url="http://127.0.0.1:1/"/>`)
	testutil.WriteFile(t, filepath.Join(dir, "a", "policy.xml"), bom+`<policies><inbound><base/><include-fragment fragment-id="f"/></inbound></policies>`)
	if errs := loadWithin(t, dir); len(errs) > 0 {
		t.Fatalf("a BOM was refused: %q", errs)
	}
	// Positions on line 1 are the editor's: the BOM is not a column.
	testutil.WriteFile(t, filepath.Join(dir, "a", "api.xml"), bom+`<api name="a" type="http" path="/a" service-url="http://127.0.0.1:1/" bogus="1"/>`)
	errs := loadWithin(t, dir)
	if len(errs) != 1 || !strings.Contains(errs[0], "api.xml:1:71:") {
		t.Fatalf("errors %q, want one at 1:71", errs)
	}
}

// Defect 8, the other direction: a backend refusing an upgrade with
// headers it names in Connection does not pass them to the client.
func TestHostileBackendHopHeaders(t *testing.T) {
	be := hostileBackend(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil || line == "\r\n" {
				break
			}
		}
		_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nConnection: keep-alive, X-Internal\r\nX-Internal: backend-only\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nno")
	})
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "ws", "api.xml"), `<api name="ws" type="websocket" path="/ws" service-url="ws://`+be+`/"/>`)
	addr := hostileGateway(t, dir)
	resp := rawRoundTrip(t, addr, "GET /ws/x HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if resp.status != 403 || resp.header.Get("X-Public") != "yes" || resp.header.Get("X-Internal") != "" {
		t.Fatalf("status %d, headers %v", resp.status, resp.header)
	}
}
