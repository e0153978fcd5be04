// Package testutil holds the few test helpers that tests in several
// packages (gateway, e2e, cmd/tollgate, store) share: writing files of an
// apis folder, free loopback ports, a coder/websocket echo, a raw HTTP
// backend for benchmarks (rawhttp.go), a loopback server that hands
// each connection to a function (ServeTCP) and a count of the goroutines
// running a function (Goroutines).
package testutil

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// WriteFile writes content to path, creating its folders, or fails tb.
// It saves the simplest way (os.WriteFile: open with O_TRUNC, then write),
// which the gateway's file-watch tests rely on.
func WriteFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// FreeAddr returns a loopback host:port that nothing listened on a moment
// ago.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort is FreeAddr's port.
func FreePort(tb testing.TB) int {
	tb.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(tb))
	n, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("free port %q: %v", port, err)
	}
	return n
}

// Echo sends every message read on c back (same type) until a read or a
// write fails.
func Echo(ctx context.Context, c *websocket.Conn) {
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

// EchoBackend is a backend on a real socket: WebSocket upgrades echo every
// message (up to 1 MiB), anything else gets 200 "ok". It is closed at
// cleanup, its connections first.
func EchoBackend(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			_, _ = io.WriteString(w, "ok")
			return
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		Echo(r.Context(), c)
	}))
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

// Goroutines counts the goroutines whose stack holds frame (a function's
// name as runtime.Stack prints it, such as "wsproxy.reporter(").
func Goroutines(frame string) int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	for n == len(buf) {
		buf = make([]byte, 2*len(buf))
		n = runtime.Stack(buf, true)
	}
	k := 0
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, frame) {
			k++
		}
	}
	return k
}
