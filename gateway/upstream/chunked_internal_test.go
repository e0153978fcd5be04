package upstream

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

var errWouldWait = errors.New("the read would wait")

// stallReader hands over its pieces one a read, then answers
// errWouldWait: a connection on which nothing more has come.
type stallReader struct{ pieces []string }

func (s *stallReader) Read(p []byte) (int, error) {
	if len(s.pieces) == 0 {
		return 0, errWouldWait
	}
	n := copy(p, s.pieces[0])
	if s.pieces[0] = s.pieces[0][n:]; s.pieces[0] == "" {
		s.pieces = s.pieces[1:]
	}
	return n, nil
}

// A read of a chunked body that has some data hands it on without a read
// that may wait: it reads on into the next chunks only as far as the read
// buffer holds them (a chunk's CRLF, a whole size line, data), and takes
// the body's end with its last data only when all of it is there.
func TestChunkedReadOnlyWhatCame(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		want       string // what the first read returns
		eof        bool   // with io.EOF
	}{
		{"one chunk", "5\r\nhello\r\n", "hello", false},
		{"half a CRLF after it", "5\r\nhello\r", "hello", false},
		{"half a size line after it", "5\r\nhello\r\n3", "hello", false},
		{"a size line and no data", "5\r\nhello\r\n3\r\n", "hello", false},
		{"two chunks and part of a third", "5\r\nhello\r\n1\r\n,\r\n6\r\n wo", "hello, wo", false},
		{"the last chunk's line alone", "5\r\nhello\r\n0\r\n", "hello", false},
		{"a trailer after the last chunk", "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", "hello", false},
		{"the end", "5\r\nhello\r\n2\r\n!!\r\n0\r\n\r\n", "hello!!", true},
		{"a bad size line after it", "5\r\nhello\r\nzz\r\n", "hello", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(&stallReader{pieces: []string{tc.sent}}, 4096)
			b := &bodyReader{br: br, framing: bodyChunked, resp: &http.Response{}}
			p := make([]byte, 64)
			n, err := b.read(p)
			if string(p[:n]) != tc.want || (err == io.EOF) != tc.eof || (err != nil && err != io.EOF) {
				t.Fatalf("read %q, %v; want %q (EOF: %v)", p[:n], err, tc.want, tc.eof)
			}
			if !tc.eof && strings.Contains(tc.name, "bad") {
				if _, err := b.read(p); err == nil || errors.Is(err, errWouldWait) {
					t.Fatalf("the next read: %v, want the bad size line's error", err)
				}
			}
		})
	}
}
