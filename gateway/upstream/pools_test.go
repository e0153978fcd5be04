package upstream_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"tollgate/gateway/upstream"
)

// toBackend dials addr whatever host a request names: distinct Host
// names, one backend.
func toBackend(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
}

// waitPools waits until tr keeps want pools.
func waitPools(t *testing.T, tr *upstream.Transport, want int, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); tr.PoolCount() != want; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d pools kept, want %d", what, tr.PoolCount(), want)
		}
	}
}

// TestPoolsDropped: requests to many distinct hosts leave no pool behind
// once their connections are gone: closed by the backend, idled out,
// closed by CloseIdleConnections, or never dialled.
func TestPoolsDropped(t *testing.T) {
	const hosts = 50
	keep := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	closing := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name    string
		addr    string
		tr      func(tr *upstream.Transport)
		after   func(tr *upstream.Transport)
		wantErr bool
	}{
		{name: "backend closes", addr: closing.addr},
		{name: "https refused", addr: refused, wantErr: true},
		{name: "dial refused", addr: refused, wantErr: true},
		{name: "idle timeout", addr: keep.addr, tr: func(tr *upstream.Transport) { tr.IdleConnTimeout = 30 * time.Millisecond }},
		{name: "CloseIdleConnections", addr: keep.addr, after: func(tr *upstream.Transport) { tr.CloseIdleConnections() }},
		{name: "no idle kept", addr: keep.addr, tr: func(tr *upstream.Transport) { tr.MaxIdleConnsPerHost = -1 }},
		{name: "MaxConnsPerHost", addr: closing.addr, tr: func(tr *upstream.Transport) { tr.MaxConnsPerHost = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := &upstream.Transport{DialContext: toBackend(tc.addr)}
			if tc.tr != nil {
				tc.tr(tr)
			}
			t.Cleanup(tr.CloseIdleConnections)
			scheme := "http"
			if tc.name == "https refused" {
				scheme = "https"
			}
			for i := range hosts {
				req, _ := http.NewRequest("GET", fmt.Sprintf("%s://h%d.test/p", scheme, i), nil)
				resp, err := tr.RoundTrip(req)
				if (err != nil) != tc.wantErr {
					t.Fatalf("host %d: %v", i, err)
				}
				if err == nil {
					io.ReadAll(resp.Body)
					resp.Body.Close()
				}
			}
			if tc.after != nil {
				tc.after(tr)
			}
			waitPools(t, tr, 0, "after the connections went")
		})
	}
}

// TestPoolsKeptWhileIdle: a pool with an idle connection stays (and the
// connection is reused) until the connection goes.
func TestPoolsKeptWhileIdle(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := &upstream.Transport{DialContext: toBackend(be.addr), IdleConnTimeout: 200 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	for i := range 6 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://h%d.test/p", i%3), nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if n, d := tr.PoolCount(), be.dials.Load(); n != 3 || d != 3 {
		t.Fatalf("3 hosts twice: %d pools, %d dials; want 3 and 3", n, d)
	}
	waitPools(t, tr, 0, "after the idle timeout")
}

// TestPoolDropRace: concurrent requests to one host whose pool keeps
// going empty (the backend closes after each answer, or idle connections
// are closed under them) all succeed, and no pool is left.
func TestPoolDropRace(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp string
		idle bool
	}{
		{"backend closes", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", false},
		{"idle closed", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := startBackend(t, func(c net.Conn, br *bufio.Reader) {
				answer(tc.resp, !tc.idle)(c, br)
			})
			tr := &upstream.Transport{MaxIdleConnsPerHost: 1}
			t.Cleanup(tr.CloseIdleConnections)
			const workers, each = 8, 100
			stop := make(chan struct{})
			var closer sync.WaitGroup
			if tc.idle {
				closer.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						tr.CloseIdleConnections()
						time.Sleep(50 * time.Microsecond)
					}
				})
			}
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for range workers {
				wg.Go(func() {
					for range each {
						req, _ := http.NewRequest("GET", "http://"+be.addr+"/p", nil)
						resp, err := tr.RoundTrip(req)
						if err != nil {
							errs <- err
							continue
						}
						if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "ok" {
							errs <- fmt.Errorf("body %q, %v", b, err)
						}
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
			close(stop)
			closer.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			tr.CloseIdleConnections()
			waitPools(t, tr, 0, "after all connections closed")
		})
	}
}

// TestIdleEvictsOldest: at MaxIdleConns, a connection going idle takes
// the place of the least recently used one (whose pool then goes), not
// closed itself: requests to hosts never asked for again cannot keep a
// busy host's connection out of the pools.
func TestIdleEvictsOldest(t *testing.T) {
	be := startBackend(t, answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	tr := &upstream.Transport{DialContext: toBackend(be.addr), MaxIdleConns: 4}
	t.Cleanup(tr.CloseIdleConnections)
	do := func(host string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+host+"/p", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	for _, tc := range []struct {
		host  string
		dials int32 // in all, after the request
		pools int
	}{
		{"busy.test", 1, 1},
		{"h1.test", 2, 2},
		{"h2.test", 3, 3},
		{"busy.test", 3, 3}, // reused: busy.test's is now the newest
		{"h3.test", 4, 4},
		{"h4.test", 5, 4}, // h1.test's, the oldest, goes
		{"h5.test", 6, 4}, // then h2.test's
		{"busy.test", 6, 4},
		{"h4.test", 6, 4},
		{"h1.test", 7, 4},
	} {
		do(tc.host)
		if d, n := be.dials.Load(), tr.PoolCount(); d != tc.dials || n != tc.pools {
			t.Fatalf("after %s: %d dials, %d pools; want %d and %d", tc.host, d, n, tc.dials, tc.pools)
		}
	}
}
