package upstream

import (
	"bytes"
	"io"
	"net/http"
)

// MemBody is a request body held in memory, lent for the call: the
// gateway's body after a policy read it (gateway/http.go outRequest).
// gateway/upstream writes one with exactly Content-Length bytes left with
// the head in one system call (as an io.NopCloser of a *bytes.Reader),
// and makes a reader of its bytes itself when a stale pooled connection
// makes it send the request again: a request with one needs no GetBody, and
// the caller can keep the MemBody in an allocation of its own (three
// allocations less per request than the reader, its wrapper and
// GetBody's closure). Another client (net/http's transport) needs
// GetBody to send it again: NetHTTPBody gives a request that.
//
// The bytes are not copied: the caller must not change them while the
// call may still write them: until RoundTrip returned for a body of at
// most 64 KiB (written inline), until its Close for a larger one (written
// beside the answer's read, perhaps past RoundTrip's return).
type MemBody struct {
	data []byte
	off  int
}

// Reset makes b read data from its start.
func (b *MemBody) Reset(data []byte) { *b = MemBody{data: data} }

// Rest returns the bytes not read yet (shared, not copied).
func (b *MemBody) Rest() []byte { return b.data[b.off:] }

// Len is the count of bytes not read yet.
func (b *MemBody) Len() int { return len(b.data) - b.off }

func (b *MemBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

// WriteTo writes the rest in one Write (writeInline's headFirst sends the
// head with it).
func (b *MemBody) WriteTo(w io.Writer) (int64, error) {
	if b.off >= len(b.data) {
		return 0, nil
	}
	p := b.data[b.off:]
	n, err := w.Write(p)
	if n > len(p) || n < 0 {
		panic("upstream: MemBody.WriteTo: invalid Write count")
	}
	b.off += n
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	return int64(n), err
}

// Close does nothing: the bytes stay the caller's.
func (b *MemBody) Close() error { return nil }

// again is a reader of b's last n bytes: what a request's first attempt
// sent (Content-Length), for the next attempt. A reader of its own, not b
// rewound: the first attempt's writer of a streamed body may still be
// reading b (as it reads the body GetBody made before).
func (b *MemBody) again(n int64) io.ReadCloser {
	return io.NopCloser(bytes.NewReader(b.data[len(b.data)-int(n):]))
}

// NetHTTPBody gives req, whose body may be a *MemBody, what another
// client needs of it: an io.NopCloser of a *bytes.Reader of the same bytes
// (which net/http's transport writes without flushing the head first)
// and a GetBody that makes it again. A request with another body is left
// as it is.
func NetHTTPBody(req *http.Request) {
	b, ok := req.Body.(*MemBody)
	if !ok {
		return
	}
	data := b.Rest()
	req.Body = io.NopCloser(bytes.NewReader(data))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}
