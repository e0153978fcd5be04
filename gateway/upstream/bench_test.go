package upstream_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"tollgate/gateway/upstream"
	"tollgate/internal/testutil"
)

// BenchmarkRoundTrip is one keep-alive GET and its 3-byte body against a
// raw backend, with upstream and with net/http's Transport: the client's
// own cost, without a proxy around it.
func BenchmarkRoundTrip(b *testing.B) {
	for _, tc := range []struct {
		name string
		rt   func() interface {
			http.RoundTripper
			CloseIdleConnections()
		}
	}{
		{"upstream", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &upstream.Transport{MaxIdleConnsPerHost: 64}
		}},
		{"nethttp", func() interface {
			http.RoundTripper
			CloseIdleConnections()
		} {
			return &http.Transport{MaxIdleConnsPerHost: 64}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			addr := testutil.RawHTTPBackend(b, "text/plain", "ok\n")
			rt := tc.rt()
			defer rt.CloseIdleConnections()
			url := "http://" + addr + "/x"
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 64)
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					resp, err := rt.RoundTrip(req)
					if err != nil {
						b.Error(err)
						return
					}
					for {
						if _, err := resp.Body.Read(buf); err != nil {
							break
						}
					}
					resp.Body.Close()
				}
			})
		})
	}
}

// TestRoundTripAllocs pins what a pooled keep-alive round trip allocates
// (the backend allocates nothing per request): the body with its round-trip
// state, the response, the values of up to eight header fields and their
// bytes up to 128 (one allocation), and the header map and its group. A
// new allocation on this path shows here first.
func TestRoundTripAllocs(t *testing.T) {
	for _, size := range []int{3, 4 << 10} { // a Content-Length of 4 digits made a string to compare
		trip := plainTrip(t, size, 8<<10, false)
		trip() // dial and pool the connection
		const want = 3
		if n := testing.AllocsPerRun(200, trip); n > want+poolSlack {
			t.Errorf("%d-byte answer: %v allocations per round trip; want at most %d", size, n, want+poolSlack)
		}
	}
}

// countingConn counts the reads made on a backend connection.
type countingConn struct {
	net.Conn
	reads *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Conn.Read(p)
}

// TestReadWholeAnswerOnce: a head and a 4 KiB body, written by the backend
// in one write, are read with one read per round trip (a 4 KiB read buffer
// took two: the head filled it, the body's last bytes needed another), and
// the pooled connection gives its read buffer back between round trips.
func TestReadWholeAnswerOnce(t *testing.T) {
	for _, size := range []int{3, 4 << 10, 12 << 10} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			addr := testutil.RawHTTPBackend(t, "application/octet-stream", strings.Repeat("x", size))
			var reads atomic.Int64
			d := &net.Dialer{}
			rt := &upstream.Transport{MaxIdleConnsPerHost: 4, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := d.DialContext(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return countingConn{c, &reads}, nil
			}}
			defer rt.CloseIdleConnections()
			const trips = 20
			for i := 0; i < trips; i++ {
				req, _ := http.NewRequest("GET", "http://"+addr+"/x", nil)
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || len(b) != size {
					t.Fatalf("body: %d bytes, %v", len(b), err)
				}
			}
			if n := reads.Load(); n != trips {
				t.Errorf("%d reads for %d round trips of a %d-byte answer; want one each", n, trips, size)
			}
		})
	}
}

// TestReleaseAllocs: a round trip whose answer goes back (Release) reads
// the next one into it: no allocation left but the pool's drops under the
// race detector.
func TestReleaseAllocs(t *testing.T) {
	trip := plainTrip(t, 3, 64, true)
	trip()
	if n := testing.AllocsPerRun(200, trip); n > 3*poolSlack {
		t.Errorf("%v allocations per round trip; want at most %d", n, 3*poolSlack)
	}
}

// plainTrip is a keep-alive GET round trip to a raw backend answering
// size bytes of text/plain: the body read with a buffer of bufSize and
// closed, the answer checked and, with release, given back
// (upstream.Release). The transport's idle connections close with t.
func plainTrip(t *testing.T, size, bufSize int, release bool) func() {
	addr := testutil.RawHTTPBackend(t, "text/plain", strings.Repeat("x", size))
	rt := &upstream.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(rt.CloseIdleConnections)
	req, err := http.NewRequest("GET", "http://"+addr+"/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, bufSize)
	return func() {
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain" || resp.ContentLength != int64(size) {
			t.Fatalf("response %d %v %d", resp.StatusCode, resp.Header, resp.ContentLength)
		}
		if release {
			upstream.Release(resp)
		}
	}
}
