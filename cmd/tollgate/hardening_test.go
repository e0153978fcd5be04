package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"tollgate/internal/testutil"
)

// The hardening flags are validated like the others (exit 2).
func TestServeHardeningFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--header-timeout", "0s"}, {"--header-timeout", "soon"},
		{"--max-pending-bodies", "0"}, {"--max-pending-bodies", "many"},
		{"--http-server", "apache"}, {"--backend-transport", "h2"},
		{"--event-loops", "-1"}, {"--event-loops", "many"}, {"--event-loops", "65"},
		{"--ws-event-loops", "-1"}, {"--ws-event-loops", "many"}, {"--ws-event-loops", "65"},
		{"--gc-heap-floor", "-1"}, {"--gc-heap-floor", "16MiB"}, {"--gc-heap-floor", "5000"},
	} {
		if code := run(append([]string{"serve", "--apis", t.TempDir()}, args...), io.Discard, io.Discard); code != 2 {
			t.Errorf("serve %v: exit %d, want 2", args, code)
		}
	}
}

// --header-timeout closes a connection whose request head never ends
// (slowloris), and --max-pending-bodies reaches the gateway: with 1, a
// second stalled body expires the first (408) long before body-timeout.
// Both front servers (--http-server) and backend clients run it.
func TestServeSlowClients(t *testing.T) {
	for _, args := range [][]string{
		{"--http-server", "tollgate", "--backend-transport", "upstream"},
		{"--http-server", "loop", "--backend-transport", "upstream", "--event-loops", "1"},
		{"--http-server", "nethttp", "--backend-transport", "nethttp"},
	} {
		t.Run(args[1]+"+"+args[3], func(t *testing.T) { serveSlowClients(t, args) })
	}
}

func serveSlowClients(t *testing.T, extra []string) {
	sig := make(chan os.Signal, 16)
	signal.Notify(sig, syscall.SIGTERM)
	defer signal.Stop(sig)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer backend.Close()
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "up", "api.xml"), `<api name="up" type="http" path="/up" service-url="`+backend.URL+`" body-timeout="60"/>`)
	listen := testutil.FreeAddr(t)
	done := make(chan int, 1)
	go func() {
		done <- run(append([]string{"serve", "--apis", dir, "--listen", listen, "--admin", "", "--watch=false", "--log-level", "error",
			"--header-timeout", "1s", "--max-pending-bodies", "1"}, extra...), io.Discard, io.Discard)
	}()
	dial := func() net.Conn {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", listen)
			if err == nil {
				_ = c.SetDeadline(time.Now().Add(15 * time.Second))
				return c
			}
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	slow := dial()
	defer slow.Close()
	_, _ = io.WriteString(slow, "GET /up HTTP/1.1\r\nHost: gw\r\nX-Slow: ")
	start := time.Now()
	if _, err := io.ReadAll(slow); err != nil {
		t.Fatalf("the slow head: %v (after %s); want the connection closed", err, time.Since(start))
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Errorf("the slow head was closed after %s; --header-timeout is 1s", d)
	}

	first, second := dial(), dial()
	defer first.Close()
	defer second.Close()
	_, _ = io.WriteString(first, "POST /up/a HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nab")
	time.Sleep(200 * time.Millisecond)
	_, _ = io.WriteString(second, "POST /up/b HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\nab")
	resp, err := http.ReadResponse(bufio.NewReader(first), nil)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("the first stalled body: %v %v; want 408", resp, err)
	}

	second.Close() // a body still arriving holds shutdown up to --drain-timeout
	_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
