package gateway

import (
	"errors"
	"strings"
	"testing"
)

// TestRequestBodyStreamedError: a read of a request body the gateway
// streamed to the backend unread (one the loader did not see a later
// section read) is errRequestBodyStreamed, which says so and what to do,
// without touching the body's stream (the transport may still be reading
// it); a body kept before the forward reads as before.
func TestRequestBodyStreamedError(t *testing.T) {
	r := &failingReader{}
	l := &limitedBody{r: r, size: -1, max: 100, what: "the request body", req: &requestBody{streamed: true}}
	if _, err := l.ReadBody(); !errors.Is(err, errRequestBodyStreamed) || !strings.Contains(err.Error(), "read it in inbound") {
		t.Fatalf("got %v", err)
	}
	if r.reads != 0 {
		t.Fatal("the stream was read")
	}
	l.req.kept = true
	if _, err := l.ReadBody(); err == nil || errors.Is(err, errRequestBodyStreamed) {
		t.Fatalf("a kept body is read from its source: %v", err)
	}
}

type failingReader struct{ reads int }

func (f *failingReader) Read([]byte) (int, error) {
	f.reads++
	return 0, errors.New("http: invalid Read on closed Body")
}
