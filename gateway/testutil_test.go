package gateway_test

// Shared helpers for the gateway's own end-to-end tests: an apis folder
// written by the test, the gateway served by httptest, real coder/websocket
// backends and clients, and a log observer that every test checks for
// leaked secrets.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// testTimeout bounds every wait in these tests: generous, so a slow -race
// run on a loaded box never flakes, yet a hang fails instead of stalling.
const testTimeout = 20 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// writeFile writes dir/rel, creating folders.
func writeFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	testutil.WriteFile(t, filepath.Join(dir, rel), content)
}

// writeAPI writes dir/name/api.xml (the <api> element with attrs) and, if
// policy is not empty, dir/name/policy.xml.
func writeAPI(t testing.TB, dir, name, attrs, policy string) {
	t.Helper()
	writeFile(t, dir, name+"/api.xml", fmt.Sprintf("<api name=%q %s/>\n", name, attrs))
	if policy != "" {
		writeFile(t, dir, name+"/policy.xml", policy)
	}
}

// testGateway is a gateway served on a real socket.
type testGateway struct {
	t    testing.TB
	dir  string
	srv  *gateway.Server
	ts   *h1test.Server
	logs *observer.ObservedLogs
	url  string // http://127.0.0.1:port
	ws   string // ws://127.0.0.1:port

	adminOnce sync.Once
	admin     *httptest.Server
}

type gwOption func(*gateway.Options)

// startGateway loads dir and serves it. Logs go both to the test log and
// to an observer; at cleanup the gateway is shut down (so no session logs
// after the test ended) and every log line is checked for SECRET.
func startGateway(t testing.TB, dir string, opts ...gwOption) *testGateway {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	o := gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log:      log,
		Getenv:   func(string) string { return "" },
	}
	for _, f := range opts {
		f(&o)
	}
	srv, err := gateway.New(o)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	ts := h1test.NewServer(srv)
	g := &testGateway{t: t, dir: dir, srv: srv, ts: ts, logs: logs, url: ts.URL, ws: "ws" + strings.TrimPrefix(ts.URL, "http")}
	t.Cleanup(func() {
		noSecretsLogged(t, logs)
		noSecretsServed(t, srv)
	})
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("cleanup: Shutdown: %v", err)
		}
		if g.admin != nil {
			g.admin.Close()
		}
	})
	return g
}

// adminURL serves the admin handler on its own socket.
func (g *testGateway) adminURL() string {
	g.adminOnce.Do(func() { g.admin = httptest.NewServer(g.srv.AdminHandler()) })
	return g.admin.URL
}

// noSecretsLogged fails if "SECRET" appears in any message or field of any
// log line. Tests never put that word in anything but secrets.
// Each line is checked as the test sees it and as the JSON encoder writes
// it (structured fields such as the policy trace's steps included).
func noSecretsLogged(t testing.TB, logs *observer.ObservedLogs) {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		line := e.Message + " " + e.LoggerName
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		if buf, err := enc.EncodeEntry(e.Entry, e.Context); err == nil {
			line += " " + buf.String()
			buf.Free()
		}
		noSecretIn(t, "a log line", line)
	}
}

// noSecretsServed fails if an admin endpoint shows SECRET.
func noSecretsServed(t testing.TB, srv *gateway.Server) {
	t.Helper()
	for _, path := range []string{"/status/reload", "/status/sessions", "/readyz"} {
		rec := httptest.NewRecorder()
		srv.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		noSecretIn(t, path, rec.Body.String())
	}
}

// noSecretIn fails if text (a log line, a response body, an admin
// answer, check's output) holds SECRET.
func noSecretIn(t testing.TB, where, text string) {
	t.Helper()
	if strings.Contains(text, "SECRET") {
		t.Errorf("a secret reached %s: %s", where, text)
	}
}

// logsNamed returns the log lines with message msg.
func (g *testGateway) logsNamed(msg string) []observer.LoggedEntry {
	return g.logs.FilterMessage(msg).All()
}

// waitFor polls cond until it holds or testTimeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeSeen is how a connection ended, as its reader saw it.
type closeSeen struct {
	code   websocket.StatusCode
	reason string
}

func closeOf(err error) closeSeen {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return closeSeen{ce.Code, ce.Reason}
	}
	return closeSeen{code: -1, reason: fmt.Sprint(err)}
}

// wsBackend is a real coder/websocket backend. By default it echoes every
// message; a text message "close CODE REASON" makes it close with that code.
type wsBackend struct {
	t      testing.TB
	ts     *httptest.Server
	url    string // ws://127.0.0.1:port
	accept websocket.AcceptOptions

	handshakes atomic.Int64
	mu         sync.Mutex
	requests   []*http.Request // handshake requests seen (headers, URL)
	closes     chan closeSeen  // how each connection ended, as the backend saw it
	first      chan string     // the first message of each connection
	// handle replaces the echo loop when set.
	handle func(c *websocket.Conn)
}

func newWSBackend(t testing.TB, subprotocols ...string) *wsBackend {
	t.Helper()
	b := &wsBackend{t: t, closes: make(chan closeSeen, 1024), first: make(chan string, 1024)}
	// InsecureSkipVerify: the gateway forwards the browser's Origin, which
	// never matches the backend's own host; the gateway checks Origin itself.
	b.accept = websocket.AcceptOptions{Subprotocols: subprotocols, CompressionMode: websocket.CompressionDisabled, InsecureSkipVerify: true}
	b.ts = httptest.NewServer(http.HandlerFunc(b.serve))
	b.url = "ws" + strings.TrimPrefix(b.ts.URL, "http")
	t.Cleanup(b.ts.Close)
	return b
}

func (b *wsBackend) serve(w http.ResponseWriter, r *http.Request) {
	b.handshakes.Add(1)
	b.mu.Lock()
	b.requests = append(b.requests, r.Clone(context.Background()))
	b.mu.Unlock()
	c, err := websocket.Accept(w, r, &b.accept)
	if err != nil {
		return
	}
	c.SetReadLimit(64 << 20)
	if b.handle != nil {
		b.handle(c)
		return
	}
	b.closes <- echo(c, b.first)
}

func (b *wsBackend) lastRequest() *http.Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.requests) == 0 {
		return nil
	}
	return b.requests[len(b.requests)-1]
}

// nextClose waits for the next connection end seen by the backend.
func (b *wsBackend) nextClose(t testing.TB) closeSeen {
	t.Helper()
	select {
	case c := <-b.closes:
		return c
	case <-time.After(testTimeout):
		t.Fatal("the backend never saw the connection end")
	}
	return closeSeen{}
}

// echo sends every message back (same type) until the connection ends.
func echo(c *websocket.Conn, first chan<- string) closeSeen {
	ctx := context.Background()
	n := 0
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return closeOf(err)
		}
		if n == 0 && first != nil {
			first <- string(data)
		}
		n++
		if typ == websocket.MessageText && strings.HasPrefix(string(data), "close ") {
			var code int
			var reason string
			fmt.Sscanf(string(data), "close %d %s", &code, &reason)
			_ = c.Close(websocket.StatusCode(code), reason)
			return closeSeen{websocket.StatusCode(code), reason}
		}
		if err := c.Write(ctx, typ, data); err != nil {
			return closeOf(err)
		}
	}
}

// dial connects a client to the gateway.
func dial(t testing.TB, url string, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", url, err, status)
	}
	c.SetReadLimit(64 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readUntilClose reads until the connection ends and says how.
func readUntilClose(t testing.TB, c *websocket.Conn) closeSeen {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return closeOf(err)
		}
	}
}

func mustWrite(t testing.TB, c *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
}

func mustRead(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(data)
}

// upgradeRequest sends a raw WebSocket upgrade request (so a refused
// handshake's status, headers and body can be inspected) and returns the
// response with its body read.
func upgradeRequest(t testing.TB, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key[:]))
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, ""
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp, string(body)
}

func get(t testing.TB, url string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return do(t, req)
}

// jsonError decodes the gateway's {"statusCode":..,"message":..} body.
func jsonError(t testing.TB, body string) (int, string) {
	t.Helper()
	var e struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("the body is not the JSON error: %v: %q", err, body)
	}
	return e.StatusCode, e.Message
}

// closedPort returns an address nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	return testutil.ClosedPort(t)
}

// silentListener accepts TCP connections and never answers.
func silentListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// metricsText fetches /metrics from the admin handler.
func (g *testGateway) metricsText(t testing.TB) string {
	t.Helper()
	resp, body := get(t, g.adminURL()+"/metrics", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return body
}

// newHTTPBackend serves h on a real socket for the test's lifetime.
func newHTTPBackend(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}
