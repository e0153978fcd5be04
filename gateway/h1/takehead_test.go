package h1

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// takeHeadMatches checks that for the buffered bytes in, a head that
// bufferedHead finds whole is what readHead reads, and leaves the reader
// at the same place (the next request's first byte).
func takeHeadMatches(t *testing.T, in string) {
	t.Helper()
	fast := bufio.NewReaderSize(strings.NewReader(in), 4096)
	_, _ = fast.Peek(1)
	n := bufferedHead(fast)
	if n == 0 {
		return
	}
	slow := bufio.NewReaderSize(strings.NewReader(in), 4096)
	want, err := readHead(slow, nil, 1<<20)
	if err != nil {
		t.Fatalf("%q: bufferedHead found %d bytes, readHead failed: %v", in, n, err)
	}
	got := takeHead(fast, make([]byte, 0, 16), n)
	if !bytes.Equal(got, want) {
		t.Fatalf("%q: takeHead %q, readHead %q", in, got, want)
	}
	restFast, _ := fast.Peek(fast.Buffered())
	restSlow, _ := slow.Peek(slow.Buffered())
	if !bytes.Equal(restFast, restSlow) {
		t.Fatalf("%q: left %q after takeHead, %q after readHead", in, restFast, restSlow)
	}
}

// TestTakeHead: a head already whole in the read buffer is copied out in
// one piece (takeHead) where readHead reads it line by line; both give
// the same bytes and leave the same rest, for CRLF and LF endings, a
// bare CR inside a line (parseHead refuses it later, as before), many
// fields and a pipelined request behind.
func TestTakeHead(t *testing.T) {
	for _, in := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\nHost: a\n\n",
		"GET / HTTP/1.1\r\nHost: a\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\nGET /2 HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody",
		"GET / HTTP/1.1\r\n" + strings.Repeat("X-F: v\r\n", 200) + "\r\n",
	} {
		fast := bufio.NewReaderSize(strings.NewReader(in), 4096)
		_, _ = fast.Peek(1)
		if bufferedHead(fast) == 0 {
			t.Errorf("%q: no whole head found", in)
		}
		takeHeadMatches(t, in)
	}
}

func FuzzTakeHead(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\nHost: a\n\nrest", "\r\nGET / HTTP/1.1\r\n\r\n", "A\r\n\r\r\n\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) { takeHeadMatches(t, in) })
}
