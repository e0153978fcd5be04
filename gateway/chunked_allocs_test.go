package gateway_test

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
)

// chunkedAnswer64K is BenchmarkRESTRequest64KChunked's backend answer: 64
// KiB in 8 chunks of 8 KiB.
func chunkedAnswer64K() []byte {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
	for range 8 {
		resp = append(resp, "2000\r\n"...)
		resp = append(resp, strings.Repeat("x", 8<<10)...)
		resp = append(resp, "\r\n"...)
	}
	return append(resp, "0\r\n\r\n"...)
}

// TestRESTChunkedAllocs pins what a GET of a 64 KiB chunked answer
// allocates in the whole process, as TestRESTRequestAllocs does for a
// Content-Length one: the chunked reads and writes add no allocation per
// chunk (they added 2: the size line's buffer in h1, the error value for
// a line too long in gateway/upstream), and the end read with the last
// data skips the trailer section's read (docs/http-server.md, "The 64 KiB
// answer").
func TestRESTChunkedAllocs(t *testing.T) {
	backend := testutil.RawHTTPAnswerBackend(t, chunkedAnswer64K())
	dir := t.TempDir()
	policy := strings.ReplaceAll(restBenchPolicy, "BACKEND", "http://"+backend+"/")
	writeAPI(t, dir, "bench-rest", `type="http" path="/rest" service-url="http://`+backend+`/"`, policy)
	addr := serveBench(t, benchGateway(t, dir))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	req := []byte("GET /rest/0?mode=echo HTTP/1.1\r\nHost: bench\r\nX-Tenant: acme\r\n\r\n")
	trip := func() {
		if err := restRoundTrip(c, br, req); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 { // the pools filled, the connections made
		trip()
	}
	want := map[string]float64{"loop": 14, "h1": 14, "nethttp": 46}[h1test.Front()]
	n := testing.AllocsPerRun(200, trip)
	t.Logf("%v allocations per request (front %s)", n, h1test.Front())
	if n > want+raceAllocSlack {
		t.Errorf("%v allocations per request (front %s); want at most %v", n, h1test.Front(), want+raceAllocSlack)
	}
}
