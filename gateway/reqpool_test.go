package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
)

// TestRESTPostBodyPooled: a request body a policy reads goes into a
// pooled buffer only for a plan whose policies can keep nothing of it past
// the request (reqpool.go). The bytes allocated per 16 KiB POST say which:
// about 5 KiB pooled, over 16 KiB not; and the pooled plan's allocations
// per POST, per front server.
func TestRESTPostBodyPooled(t *testing.T) {
	backend := startRawHTTPBackend(t)
	outbound := strings.Replace(restReadPolicy, "</backend>", `</backend>
  <outbound><set-header name="X-Seen" exists-action="override"><value>@((string)context.Variables["b"])</value></set-header></outbound>`, 1)
	outbound = strings.Replace(outbound, `<set-variable name="size"`, `<set-variable name="b" value="@(context.Request.Body.As<string>().Substring(0, 4))"/>
    <set-variable name="size"`, 1)
	for _, tc := range []struct {
		name   string
		policy string
		pooled bool
	}{
		{"set-variable and set-header", restReadPolicy, true},
		{"outbound reads a variable", outbound, false},
		{"cache-store-value", strings.Replace(restReadPolicy, "</inbound>",
			`<cache-store-value key="k" value="@(context.Request.Body.As<string>())" duration="10"/></inbound>`, 1), false},
		{"set-body", strings.Replace(restReadPolicy, "</inbound>",
			`<set-body>@(context.Request.Body.As<string>())</set-body></inbound>`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeAPI(t, dir, "post", `type="http" path="/rest-read" service-url="http://`+backend+`/rest"`, tc.policy)
			addr := serveBench(t, benchGateway(t, dir))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			body := bytes.Repeat([]byte("x"), 16<<10)
			req := append([]byte("POST /rest-read/0 HTTP/1.1\r\nHost: t\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"), body...)
			trip := func() {
				if err := restRoundTrip(c, br, req); err != nil {
					t.Fatal(err)
				}
			}
			for range 20 {
				trip()
			}
			const n = 200
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for range n {
				trip()
			}
			runtime.ReadMemStats(&m1)
			per := (m1.TotalAlloc - m0.TotalAlloc) / n
			if allocs := testing.AllocsPerRun(100, trip); tc.pooled {
				// The request's own (as TestRESTRequestAllocs counts a
				// GET's), and the policy's two expressions' values: the
				// buffer is not among them, nor the body's guard or the
				// body sent (both in the exchange's room).
				want := map[string]float64{"loop": 9, "h1": 9, "nethttp": 44}[h1test.Front()]
				t.Logf("%v allocations per POST (front %s)", allocs, h1test.Front())
				if allocs > want+raceAllocSlack {
					t.Errorf("%v allocations per POST (front %s); want at most %v", allocs, h1test.Front(), want+raceAllocSlack)
				}
			}
			t.Logf("%d bytes allocated per POST", per)
			limit := uint64(12 << 10) // between the two by about 8 KiB each way
			if raceAllocSlack > 0 {
				limit = 30 << 10 // the race detector's build: about 25 KiB pooled, 38 KiB not
			}
			if pooled := per < limit; pooled != tc.pooled {
				t.Errorf("%d bytes allocated per POST: pooled %v, want %v", per, pooled, tc.pooled)
			}
		})
	}
}

// TestPooledBodiesKeepTheirBytes sends bodies of many sizes from several
// connections at once through a plan whose body buffers are pooled: the
// backend must get each request's own bytes, and the policy's count of
// them, whatever buffer the one before left.
func TestPooledBodiesKeepTheirBytes(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		want := r.Header.Get("X-Fill")
		switch {
		case err != nil:
			http.Error(w, err.Error(), 500)
		case r.Header.Get("X-Body-Size") != strconv.Itoa(len(b)):
			http.Error(w, "X-Body-Size "+r.Header.Get("X-Body-Size")+" for "+strconv.Itoa(len(b)), 500)
		case len(want) != 1 || string(b) != strings.Repeat(want, len(b)):
			http.Error(w, "not the request's own bytes", 500)
		default:
			io.WriteString(w, strconv.Itoa(len(b)))
		}
	}))
	defer backend.Close()
	dir := t.TempDir()
	writeAPI(t, dir, "post", `type="http" path="/rest-read" service-url="`+backend.URL+`/rest"`, restReadPolicy)
	addr := serveBench(t, benchGateway(t, dir))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i, size := range []int{1, 4096, 4097, 16 << 10, 100, 65536, 65537, 3000, 16<<10 - 1, 40000} {
				fill := string(rune('a' + (g*10+i)%26))
				req := fmt.Sprintf("POST /rest-read/0 HTTP/1.1\r\nHost: t\r\nX-Fill: %s\r\nContent-Length: %d\r\n\r\n%s",
					fill, size, strings.Repeat(fill, size))
				if _, err := io.WriteString(c, req); err != nil {
					t.Error(err)
					return
				}
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Error(err)
					return
				}
				got, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(got) != strconv.Itoa(size) {
					t.Errorf("%d bytes: %d %q", size, res.StatusCode, got)
				}
			}
		}()
	}
	wg.Wait()
}

// TestReadBodySentAgain: the body a policy read goes to the backend from
// the exchange's room (upstream.MemBody, without GetBody); when the
// backend closes a reused connection after reading the request without
// answering, each backend client sends it again on a new connection as it
// did before: gateway/upstream from the MemBody's bytes, net/http's
// transport (which sends a POST again only with GetBody and an
// Idempotency-Key) from the GetBody certTransport gives it.
func TestReadBodySentAgain(t *testing.T) {
	for _, bt := range []string{gateway.BackendUpstream, gateway.BackendNetHTTP} {
		t.Run(bt, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			var mu sync.Mutex
			var got []string // "connection: body" per request the backend read
			go func() {
				for conn := 0; ; conn++ {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() {
						defer c.Close()
						br := bufio.NewReader(c)
						for i := 0; ; i++ {
							r, err := http.ReadRequest(br)
							if err != nil {
								return
							}
							b, _ := io.ReadAll(r.Body)
							mu.Lock()
							got = append(got, fmt.Sprintf("%d: %s", conn, b))
							mu.Unlock()
							if conn == 0 && i == 1 {
								return // the second request read, then closed without an answer
							}
							io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
						}
					}()
				}
			}()
			dir := t.TempDir()
			writeAPI(t, dir, "post", `type="http" path="/rest-read" service-url="http://`+ln.Addr().String()+`/rest"`, restReadPolicy)
			addr := serveBench(t, benchGateway(t, dir, func(o *gateway.Options) { o.BackendTransport = bt }))
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i, body := range []string{"first body", "second body"} {
				fmt.Fprintf(c, "POST /rest-read/0 HTTP/1.1\r\nHost: t\r\nIdempotency-Key: k%d\r\nContent-Length: %d\r\n\r\n%s", i, len(body), body)
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Fatalf("request %d: status %d", i, res.StatusCode)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if want := []string{"0: first body", "0: second body", "1: second body"}; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("the backend read %q; want %q", got, want)
			}
		})
	}
}
