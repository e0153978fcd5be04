package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/testutil"
)

// TestShutdownDrainsSessions: Shutdown closes every live session with 1001
// on both legs, returns only once they have all ended (logged and counted),
// and from then on new requests get 503 and /readyz says not ready.
func TestShutdownDrainsSessions(t *testing.T) {
	be := newWSBackend(t)
	rest := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+be.url+`"`, "")
	writeAPI(t, dir, "orders", `type="http" path="/orders" service-url="`+rest.url+`"`, "")
	g := startGateway(t, dir)

	const n = 5
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		clients[i] = dial(t, g.ws+"/chat", nil)
		mustWrite(t, clients[i], "ping")
		if got := mustRead(t, clients[i]); got != "ping" {
			t.Fatalf("echo %q", got)
		}
	}
	clientSaw := make(chan closeSeen, n)
	for _, c := range clients {
		go func(c *websocket.Conn) { clientSaw <- readUntilClose(t, c) }(c)
	}

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	start := time.Now()
	if err := g.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	t.Logf("Shutdown drained %d sessions in %v", n, time.Since(start))

	// Returned only once every session ended: each is logged and counted.
	if got := len(g.logsNamed("session closed")); got != n {
		t.Errorf("Shutdown returned with %d of %d sessions logged as closed", got, n)
	}
	for _, e := range g.logsNamed("session closed") {
		m := e.ContextMap()
		if m["closed_by"] != "shutdown" || m["close_code"] != int64(1001) {
			t.Errorf("session closed: closed_by=%v close_code=%v, want shutdown 1001", m["closed_by"], m["close_code"])
		}
	}
	if m := g.metricsText(t); !strings.Contains(m, `tollgate_websocket_connections_active{api="chat"} 0`) {
		t.Errorf("active connections after Shutdown:\n%s", grepLines(m, "connections_active"))
	}
	for i := 0; i < n; i++ {
		if got := <-clientSaw; got.code != websocket.StatusGoingAway {
			t.Errorf("client saw %+v, want 1001", got)
		}
		if got := be.nextClose(t); got.code != websocket.StatusGoingAway {
			t.Errorf("backend saw %+v, want 1001", got)
		}
	}

	for _, path := range []string{"/chat", "/orders"} {
		resp, body := upgradeRequest(t, g.url+path, nil)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s after Shutdown: %d %q, want 503", path, resp.StatusCode, body)
		} else if code, _ := jsonError(t, body); code != 503 {
			t.Errorf("body %q", body)
		}
	}
	if resp, _ := get(t, g.adminURL()+"/readyz", nil); resp.StatusCode != 503 {
		t.Errorf("/readyz after Shutdown: %d, want 503", resp.StatusCode)
	}
	if n := be.handshakes.Load(); n != 5 {
		t.Errorf("the backend saw %d handshakes, want 5 (none after Shutdown)", n)
	}
}

// TestShutdownWithoutSessions: with nothing open Shutdown returns at once.
func TestShutdownWithoutSessions(t *testing.T) {
	be := newWSBackend(t)
	g := startGateway(t, wsAPI(t, be.url, "", ""))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	start := time.Now()
	if err := g.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("an idle Shutdown took %v", time.Since(start))
	}
	if g.srv.Ready() {
		t.Error("Ready after Shutdown")
	}
}

// TestShutdownDuringHandshake: a handshake waiting for its backend's 101
// (a backend that reads the request and never answers, a handshake
// timeout far away) ends when Shutdown ends its session, and Shutdown
// returns soon: on the loop front the wait is the front loop's (the
// session's end aborts the backend socket there), elsewhere the relay
// loop's. The client gets an error answer, never a 101.
func TestShutdownDuringHandshake(t *testing.T) {
	asked := make(chan struct{}, 1)
	backend := testutil.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		asked <- struct{}{}
		_, _ = io.Copy(io.Discard, br)
	})
	g := startGateway(t, wsAPI(t, "ws://"+backend+"/", `handshake-timeout="60"`, ""))
	c, err := net.Dial("tcp", strings.TrimPrefix(g.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /chat HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	select {
	case <-asked:
	case <-time.After(testTimeout):
		t.Fatal("the backend never got the handshake")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := g.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a handshake waiting for its 101: %v (after %v)", err, time.Since(start))
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the client's answer: %v", err)
	}
	if resp.StatusCode < 500 {
		t.Errorf("the client got %d, want an error answer", resp.StatusCode)
	}
}
