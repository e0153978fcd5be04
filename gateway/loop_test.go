//go:build linux

package gateway_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap/zaptest"

	"tollgate/gateway"
	"tollgate/gateway/h1"
	"tollgate/gateway/internal/evloop"
	"tollgate/policies"
	"tollgate/store"
)

// On the event-loop front, a request whose policy waits (a send-request
// call-out) leaves the loop first: while its call-out hangs, a request to
// an API that runs inline, served by the same loop, is answered. Were the
// call-out made on the loop, the second request would wait for it (and
// this test would time out).
func TestLoopReleasesBlockingRequests(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		io.WriteString(w, "token")
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the backend's Close: a failed test must not leave it waiting
	fast := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast "+r.URL.Path) })
	dir := t.TempDir()
	writeAPI(t, dir, "inline", fmt.Sprintf(`type="http" path="/inline" service-url=%q`, fast.URL), `<policies><inbound>
  <set-header name="X-A" exists-action="override"><value>1</value></set-header>
</inbound></policies>`)
	writeAPI(t, dir, "callout", fmt.Sprintf(`type="http" path="/callout" service-url=%q`, fast.URL), fmt.Sprintf(`<policies><inbound>
  <send-request mode="new" response-variable-name="r" timeout="20" ignore-error="false">
    <set-url>%s/token</set-url>
    <set-method>GET</set-method>
  </send-request>
</inbound></policies>`, slow.URL))
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Current().API("inline").RunsInline() || srv.Current().API("callout").RunsInline() {
		t.Fatal("the APIs are not classified as this test needs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, EventLoop: true, Loops: 1} // one loop: both requests share it
	go func() { _ = front.Serve(ln) }()
	t.Cleanup(func() { _ = front.Close() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second}

	calloutDone := make(chan string, 1)
	go func() {
		res, err := client.Get(base + "/callout/x")
		if err != nil {
			calloutDone <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		calloutDone <- fmt.Sprint(res.StatusCode, " ", string(b))
	}()
	<-arrived // the call-out is in flight, and stays there until release
	res, err := client.Get(base + "/inline/y")
	if err != nil {
		t.Fatalf("the inline request waited for another request's call-out: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "fast /y" {
		t.Fatalf("inline: %d %q", res.StatusCode, b)
	}
	once.Do(func() { close(release) })
	if got := <-calloutDone; got != "200 fast /x" {
		t.Fatalf("callout: %s", got)
	}
}

// A WebSocket handshake on the event-loop front whose policies never block
// stays on its loop (the backend, at an IP address, is dialed from the
// loop and both sockets go to the relay as they are); one whose policy
// makes a call-out leaves it. Both relay.
func TestLoopWebSocketHandshakes(t *testing.T) {
	be := newWSBackend(t)
	token := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "token") })
	dir := t.TempDir()
	writeAPI(t, dir, "inline", fmt.Sprintf(`type="websocket" path="/inline" service-url=%q`, be.url), `<policies><inbound>
  <set-header name="X-A" exists-action="override"><value>1</value></set-header>
</inbound></policies>`)
	writeAPI(t, dir, "callout", fmt.Sprintf(`type="websocket" path="/callout" service-url=%q`, be.url), fmt.Sprintf(`<policies><inbound>
  <send-request mode="new" response-variable-name="r" timeout="10" ignore-error="false">
    <set-url>%s/token</set-url>
    <set-method>GET</set-method>
  </send-request>
</inbound></policies>`, token.URL))
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(testCtx(t)) })
	if !srv.Current().API("inline").HandshakeInline() || srv.Current().API("callout").HandshakeInline() {
		t.Fatal("the APIs are not classified as this test needs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, EventLoop: true, Loops: 1}
	go func() { _ = front.Serve(ln) }()
	t.Cleanup(func() { _ = front.Close() })
	for _, tc := range []struct {
		path     string
		released bool
	}{{"/inline/x", false}, {"/callout/x", true}, {"/inline/y", false}} {
		before := evloop.TotalReleases()
		c := dial(t, "ws://"+ln.Addr().String()+tc.path, nil)
		mustWrite(t, c, "hello "+tc.path)
		if got := mustRead(t, c); got != "hello "+tc.path {
			t.Fatalf("%s: echo %q", tc.path, got)
		}
		c.Close(websocket.StatusNormalClosure, "")
		if released := evloop.TotalReleases() > before; released != tc.released {
			t.Fatalf("%s: released %v, want %v", tc.path, released, tc.released)
		}
	}
}

// A WebSocket handshake that stays on the loop waits for its backend by
// suspending its task: while a backend takes the connection and never
// answers the upgrade, a REST request served by the same loop is answered.
func TestLoopWebSocketHandshakeWaitsOffTheLoop(t *testing.T) {
	silent := silentListener(t)
	fast := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast") })
	dir := t.TempDir()
	writeAPI(t, dir, "silent", fmt.Sprintf(`type="websocket" path="/silent" service-url="ws://%s/" handshake-timeout="30"`, silent), "")
	writeAPI(t, dir, "rest", fmt.Sprintf(`type="http" path="/rest" service-url=%q`, fast.URL), "")
	srv, err := gateway.New(gateway.Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Log: zaptest.NewLogger(t), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Current().API("silent").HandshakeInline() {
		t.Fatal("the WebSocket API is not classified as this test needs")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := &h1.Server{Handler: srv, EventLoop: true, Loops: 1}
	go func() { _ = front.Serve(ln) }()
	t.Cleanup(func() { _ = front.Close() })
	hs, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	fmt.Fprintf(hs, "GET /silent/x HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	time.Sleep(50 * time.Millisecond) // the handshake is waiting for the silent backend
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get("http://" + ln.Addr().String() + "/rest/y")
	if err != nil {
		t.Fatalf("a REST request waited for another connection's WebSocket dial: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != "fast" {
		t.Fatalf("rest: %d %q", res.StatusCode, b)
	}
}
