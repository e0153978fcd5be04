package gateway_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
)

// restBenchPolicy is bench/apis/rest/policy.xml: the WebSocket benchmark's
// 5-step policy on an HTTP API.
var restBenchPolicy = strings.ReplaceAll(handshakeBenchPolicy,
	`<set-variable name="route" value="echo"/>`, `<set-variable name="route" value="rest"/>`)

// BenchmarkRESTRequest measures one proxied keep-alive GET through the
// gateway, as the side-by-side benchmark's "rget" scenario does: the 5-step
// inbound policy, the backend call over a pooled connection and the 3-byte
// response relayed back. Client and backend are minimal raw HTTP/1.1 peers,
// so allocs/op move with the gateway's share. BenchmarkRESTBare is the same
// request through a bare httputil.ReverseProxy: the difference is what
// tollgate adds to Go's own proxy. The sub-benchmarks are the backend
// clients (Options.BackendTransport): gateway/upstream and net/http's.
func BenchmarkRESTRequest(b *testing.B) {
	for _, bt := range []string{gateway.BackendUpstream, gateway.BackendNetHTTP} {
		b.Run(bt, func(b *testing.B) {
			backend := startRawHTTPBackend(b)
			dir := b.TempDir()
			policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
			writeAPI(b, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
			benchREST(b, benchGateway(b, dir, func(o *gateway.Options) { o.BackendTransport = bt }))
		})
	}
}

// BenchmarkRESTRequest4K is BenchmarkRESTRequest's upstream case with a
// 4 KiB answer, as the side-by-side benchmark's "r4k" scenario: the
// answer's head and body no longer fit h1's 4 KiB write buffer together.
func BenchmarkRESTRequest4K(b *testing.B) {
	backend := testutil.RawHTTPBackend(b, "application/octet-stream", strings.Repeat("x", 4<<10))
	dir := b.TempDir()
	policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
	writeAPI(b, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
	benchREST(b, benchGateway(b, dir))
}

// BenchmarkRESTRequest64K is BenchmarkRESTRequest4K with a 64 KiB answer
// (Content-Length), as the side-by-side benchmark's "r64k" scenario: the
// body is larger than the copy's 32 KiB buffer and the backend
// connection's 16 KiB read buffer, so it is relayed in pieces.
func BenchmarkRESTRequest64K(b *testing.B) {
	backend := testutil.RawHTTPBackend(b, "application/octet-stream", strings.Repeat("x", 64<<10))
	dir := b.TempDir()
	policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
	writeAPI(b, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
	benchRESTClientBuffer(b, benchGateway(b, dir), 64<<10)
}

// BenchmarkRESTRequest64KChunked is BenchmarkRESTRequest64K with the 64
// KiB answer chunked (no Content-Length) in 8 chunks of 8 KiB that the
// backend writes at once, as a server that serializes through an 8 KiB
// buffer: the gateway streams it, a write to the client per read.
func BenchmarkRESTRequest64KChunked(b *testing.B) {
	backend := testutil.RawHTTPAnswerBackend(b, chunkedAnswer64K())
	dir := b.TempDir()
	policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
	writeAPI(b, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
	benchRESTClientBuffer(b, benchGateway(b, dir), 64<<10)
}

// benchRESTClientBuffer is benchREST with a client that reads through a
// buffer of size bytes, as bench/load's 64 KiB: with benchREST's 4 KiB, a
// 64 KiB answer costs the client 17 reads, which would hide the gateway's
// share of the system calls and of the kernel's time.
func benchRESTClientBuffer(b *testing.B, h http.Handler, size int) {
	benchRESTSized(b, h, []byte("GET /rest/0?mode=echo HTTP/1.1\r\nHost: bench\r\nX-Tenant: acme\r\n\r\n"), size)
}

// restRoundTrip writes req and reads one answer of either framing:
// Content-Length or chunked (its chunks' data dropped, no trailers).
func restRoundTrip(c net.Conn, br *bufio.Reader, req []byte) error {
	if _, err := c.Write(req); err != nil {
		return err
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
		return fmt.Errorf("status %q", line)
	}
	n, chunked := -1, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(h) <= 2 {
			break
		}
		k, v, _ := bytes.Cut(h, []byte(":"))
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(bytes.TrimSpace(v), []byte("chunked"))
		}
	}
	if !chunked {
		if n < 0 {
			return fmt.Errorf("no Content-Length")
		}
		_, err = br.Discard(n)
		return err
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return fmt.Errorf("chunk size %q", line)
		}
		if _, err := br.Discard(int(size) + 2); err != nil { // the data and its CRLF; the last chunk's CRLF ends the answer
			return err
		}
		if size == 0 {
			return nil
		}
	}
}

// restReadPolicy is bench/apis/rest-read/policy.xml: a policy that reads
// the whole request body and passes its length on as a header.
const restReadPolicy = `<policies>
  <inbound>
    <set-variable name="size" value="@(len(context.Request.Body.AsString()))"/>
    <set-header name="X-Body-Size" exists-action="override">
      <value>@(string(context.Variables["size"]))</value>
    </set-header>
  </inbound>
  <backend>
    <forward-request timeout="10"/>
  </backend>
</policies>`

// BenchmarkRESTPostRead is the side-by-side benchmark's "rpost" scenario in
// process: a keep-alive POST with a 16 KiB body that the policy reads
// whole, forwarded to the backend over a pooled connection.
func BenchmarkRESTPostRead(b *testing.B) {
	backend := startRawHTTPBackend(b)
	dir := b.TempDir()
	writeAPI(b, dir, "bench-rest-read", `type="http" path="/rest-read" service-url="http://`+backend+`/rest"`, restReadPolicy)
	body := bytes.Repeat([]byte("x"), 16<<10)
	req := append([]byte("POST /rest-read/0 HTTP/1.1\r\nHost: bench\r\nContent-Type: application/octet-stream\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"), body...)
	benchRESTWith(b, benchGateway(b, dir), req)
}

func BenchmarkRESTBare(b *testing.B) {
	backend := startRawHTTPBackend(b)
	u, _ := url.Parse("http://" + backend)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(u); r.SetXForwarded() },
		Transport: tr,
	}
	benchREST(b, rp)
}

func benchREST(b *testing.B, h http.Handler) {
	benchRESTWith(b, h, []byte("GET /rest/0?mode=echo HTTP/1.1\r\nHost: bench\r\nX-Tenant: acme\r\n\r\n"))
}

// benchRESTWith sends req over keep-alive connections, one per parallel
// goroutine, and reads each Content-Length response. cpu-ns/op is the
// process's CPU per request (gateway, client and backend: the raw peers'
// share is small and the same for every build), steadier on a shared
// machine than ns/op.
func benchRESTWith(b *testing.B, h http.Handler, req []byte) {
	benchRESTSized(b, h, req, 4096)
}

// benchRESTSized is benchRESTWith with the client's read buffer of size
// bytes.
func benchRESTSized(b *testing.B, h http.Handler, req []byte, size int) {
	addr := serveBench(b, h)
	b.ReportAllocs()
	// TOLLGATE_BENCH_CONNS=50: that many keep-alive connections (the
	// side-by-side bench's 50) instead of one per processor.
	if n, _ := strconv.Atoi(os.Getenv("TOLLGATE_BENCH_CONNS")); n > 0 {
		b.SetParallelism((n + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	}
	b.ResetTimer()
	cpu0, user0 := processCPU(), processUserCPU()
	defer func() {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(processUserCPU()-user0)/float64(b.N), "user-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReaderSize(c, size)
		for pb.Next() {
			if err := restRoundTrip(c, br, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// startRawHTTPBackend answers every request with 200 "ok\n" on keep-alive
// connections (testutil.RawHTTPBackend: no net/http, so that the backend's
// share of a benchmark stays small).
func startRawHTTPBackend(b testing.TB) string {
	return testutil.RawHTTPBackend(b, "text/plain", "ok\n")
}

// TestRESTRequestAllocs pins what BenchmarkRESTRequest's GET allocates
// in the whole process (the raw client and backend allocate nothing per
// request): the front server's request, the policy's work, the backend
// call and the answer, per front server. docs/http-server.md ("Per-request
// allocations") says what they are; a new allocation on this path shows
// here first.
func TestRESTRequestAllocs(t *testing.T) {
	checkRESTAllocs(t, startRawHTTPBackend(t), 4096, map[string]float64{"loop": 2, "h1": 2, "nethttp": 36})
}

// checkRESTAllocs serves BenchmarkRESTRequest's API in front of backend
// and fails when a GET, read by a raw client through a buffer of bufSize
// bytes, allocates more in the whole process than want says for the front
// server under test (the pools filled first).
func checkRESTAllocs(t *testing.T, backend string, bufSize int, want map[string]float64) {
	t.Helper()
	dir := t.TempDir()
	policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
	writeAPI(t, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
	addr := serveBench(t, benchGateway(t, dir))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, bufSize)
	req := []byte("GET /rest/0?mode=echo HTTP/1.1\r\nHost: bench\r\nX-Tenant: acme\r\n\r\n")
	trip := func() {
		if err := restRoundTrip(c, br, req); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 { // the pools filled, the connections made
		trip()
	}
	limit := want[h1test.Front()]
	n := testing.AllocsPerRun(200, trip)
	t.Logf("%v allocations per request (front %s)", n, h1test.Front())
	if n > limit+raceAllocSlack {
		t.Errorf("%v allocations per request (front %s); want at most %v", n, h1test.Front(), limit+raceAllocSlack)
	}
}
