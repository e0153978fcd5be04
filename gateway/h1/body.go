package h1

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"tollgate/gateway/internal/wire"
)

// body is a request body read from the connection's reader: a known length
// or chunked (RFC 9112 §7.1, parsed strictly). It sends "100 Continue" before
// its first read when the client asked for it and no response has started.
// Any framing error is sticky and ends the connection after the response.
type body struct {
	mu        sync.Mutex
	c         *conn
	br        *bufio.Reader
	req       *http.Request
	remaining int64 // known length: bytes left; chunked: bytes left in this chunk
	chunked   bool
	chunkEnd  bool // chunked: the CRLF after a chunk's data is due
	expect100 bool
	closed    bool
	done      bool  // read to the end
	err       error // sticky framing or connection error
}

var errBodyClosed = errors.New("http: invalid Read on closed Body")

// maxChunkLine bounds a chunk-size line with its extensions; maxTrailer the
// whole trailer section of a chunked body.
const (
	maxChunkLine = 4096
	maxTrailer   = 64 << 10
)

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, errBodyClosed
	}
	return b.read(p)
}

func (b *body) read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.done {
		return 0, io.EOF
	}
	if b.expect100 {
		b.expect100 = false
		if err := b.c.sendContinue(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.chunked {
		return b.readChunked(p)
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.br.Read(p)
	b.remaining -= int64(n)
	if b.remaining == 0 {
		b.done = true
		return n, io.EOF
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

func (b *body) fail(err error) (int, error) {
	b.err = err
	return 0, err
}

func (b *body) readChunked(p []byte) (int, error) {
	for b.remaining == 0 {
		if b.chunkEnd {
			if err := b.readCRLF(); err != nil {
				return b.fail(err)
			}
			b.chunkEnd = false
		}
		size, err := b.readChunkSize()
		if err != nil {
			return b.fail(err)
		}
		if size == 0 {
			if err := b.readTrailer(); err != nil {
				return b.fail(err)
			}
			b.done = true
			return 0, io.EOF
		}
		b.remaining, b.chunkEnd = size, true
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.br.Read(p)
	b.remaining -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// readCRLF reads the CRLF that ends a chunk's data (wire.ReadChunkEnd).
func (b *body) readCRLF() error {
	ok, err := wire.ReadChunkEnd(b.br)
	if err == nil && !ok {
		err = errChunk
	}
	return err
}

// readLine reads one CRLF-terminated line of at most max bytes (CRLF
// excluded from the result). The slice is valid until the next read.
func (b *body) readLine(max int) ([]byte, error) {
	line, err := b.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull || len(line) > max+2 {
		return nil, errChunk
	}
	if err != nil {
		return nil, eofIsUnexpected(err)
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errChunk // a bare LF
	}
	return line[:len(line)-2], nil
}

// readChunkSize reads and parses a chunk-size line (wire.ParseChunkSize).
func (b *body) readChunkSize() (int64, error) {
	line, err := b.readLine(maxChunkLine)
	if err != nil {
		return 0, err
	}
	n, ok := wire.ParseChunkSize(line)
	if !ok {
		return 0, errChunk
	}
	return n, nil
}

// readTrailer reads the trailer section after the last chunk into the
// request's Trailer, with the same field rules as the head.
func (b *body) readTrailer() error {
	// The section's bytes so far: counted here, not in the body (whose 64
	// bytes are a size class of their own), as a failed read of it is the
	// body's sticky error and it is read in this one call.
	size := 0
	for {
		line, err := b.readLine(maxChunkLine)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if size += len(line); size > maxTrailer {
			return errChunk
		}
		if line[0] == ' ' || line[0] == '\t' {
			return errChunk
		}
		colon := strings.IndexByte(string(line), ':')
		if colon <= 0 {
			return errChunk
		}
		name := string(line[:colon])
		v := wire.TrimOWS(string(line[colon+1:]))
		if !validFieldName(name) || !wire.ValidFieldValue(v) {
			return errChunk
		}
		key := wire.CanonicalKey(name)
		switch key {
		case "Content-Length", "Transfer-Encoding", "Host", "Trailer":
			continue // framing and routing fields are not taken from a trailer (RFC 9110 §6.5.1)
		}
		if b.req.Trailer == nil {
			b.req.Trailer = http.Header{}
		}
		b.req.Trailer[key] = append(b.req.Trailer[key], v)
	}
}

// Close marks the body closed for the handler; the server still drains it
// (up to a bound) to keep the connection.
func (b *body) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// drain reads what the handler left, up to max bytes, and reports whether
// the body ended cleanly (the connection can carry another request).
func (b *body) drain(max int64, scratch []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.expect100 {
		// The client waits for 100 Continue that never came: it may or may
		// not send the body, so the connection's framing is unknown.
		return false
	}
	for !b.done {
		if b.err != nil || max <= 0 {
			return false
		}
		n, _ := b.read(scratch[:min(int64(len(scratch)), max)])
		max -= int64(n)
	}
	return b.err == nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
