package gateway_test

import (
	"strings"
	"testing"

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
	checkRESTAllocs(t, testutil.RawHTTPAnswerBackend(t, chunkedAnswer64K()), 64<<10, map[string]float64{"loop": 6, "h1": 6, "nethttp": 41})
}
