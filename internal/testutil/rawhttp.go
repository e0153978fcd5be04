package testutil

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"testing"
)

// RawHTTPBackend serves a minimal keep-alive HTTP/1.1 endpoint on loopback
// that answers every request (its body, by Content-Length, read and
// dropped) with 200 and body as contentType, and returns its address. It
// reads requests with a bufio.Reader and no net/http, and allocates nothing
// per request, so that a benchmark's backend takes as little as possible of
// what it measures. The listener closes with tb.
func RawHTTPBackend(tb testing.TB, contentType, body string) string {
	tb.Helper()
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	return ServeTCP(tb, func(c net.Conn) { serveRawHTTP(c, resp) })
}

// RawHTTPAnswerBackend is RawHTTPBackend answering every request with
// resp, a whole HTTP/1.1 answer as it goes on the wire (a chunked one,
// say).
func RawHTTPAnswerBackend(tb testing.TB, resp []byte) string {
	tb.Helper()
	return ServeTCP(tb, func(c net.Conn) { serveRawHTTP(c, resp) })
}

func serveRawHTTP(c net.Conn, resp []byte) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	for {
		length := 0
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
			if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
				length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
			}
		}
		if _, err := br.Discard(length); err != nil { // io.CopyN would allocate a LimitReader per request
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}
