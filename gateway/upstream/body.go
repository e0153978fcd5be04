package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"tollgate/gateway/internal/wire"
)

// drainLimit is how much of an unread body Close reads to keep the
// connection; a longer rest closes it instead.
const (
	drainLimit   = 64 << 10
	drainTimeout = 50 * time.Millisecond
)

var errBodyClosed = errors.New("upstream: read on a closed response body")

// The errors a chunked body's reads pass to readLine and readFields for a
// line or section too long, made once: made per call, as they were, they
// were an allocation per chunk read (10 of a 64 KiB answer's 25 in 8
// chunks, BenchmarkRESTRequest64KChunked).
var (
	errChunkLineTooLong = protoErr("chunk-size line too long")
	errTrailersTooLarge = protoErr("trailer section too large")
)

// bodyReader reads a response body off the connection's buffered reader:
// Content-Length, chunked or until close. It knows nothing of
// connections (the fuzz target uses it alone).
type bodyReader struct {
	br      *bufio.Reader
	framing framing
	n       int64 // bodyLength: bytes left; bodyChunked: bytes left in this chunk
	state   uint8 // bodyChunked: chunkSize, chunkData, chunkCRLF
	resp    *http.Response
	// now, when not nil, is br's connection on an event loop: a read of a
	// known length that br's buffer answers short reads on what the
	// socket holds now into the rest (ReadAvailable, no wait), so a
	// large answer is copied in pieces as large as the copy's buffer.
	now availableReader
}

// availableReader is evloop.Conn.ReadAvailable.
type availableReader interface {
	ReadAvailable(p []byte) int
}

const (
	chunkSize = iota
	chunkData
	chunkCRLF
)

func (b *bodyReader) read(p []byte) (int, error) {
	switch b.framing {
	case bodyLength:
		if b.n == 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > b.n {
			p = p[:b.n]
		}
		n, err := b.br.Read(p)
		if err == nil && n < len(p) && b.now != nil && b.br.Buffered() == 0 {
			n += b.now.ReadAvailable(p[n:]) // p ends where the body does: nothing past it is taken
		}
		b.n -= int64(n)
		if err == io.EOF {
			return n, io.ErrUnexpectedEOF
		}
		if err == nil && b.n == 0 {
			err = io.EOF
		}
		return n, err
	case bodyChunked:
		return b.readChunked(p)
	case bodyClose:
		return b.br.Read(p)
	}
	return 0, io.EOF
}

// readChunked reads chunked data (RFC 9112 7.1): hex sizes, chunk
// extensions skipped, CRLF after each chunk's data, then the trailer
// section into resp.Trailer. Having read some data, it reads on into the
// next chunks only as far as the read buffer holds them (moreBuffered):
// a read never waits for more once it has something to hand on, so a
// stream's pieces are passed on as they come, but several chunks that
// came together are one piece (and one write to the client) rather than
// one each.
func (b *bodyReader) readChunked(p []byte) (int, error) {
	n := 0
	for {
		if n > 0 && (n == len(p) || !b.moreBuffered()) {
			if b.state == chunkSize && b.lastChunkBuffered() {
				b.br.Discard(len(lastChunk))
				b.framing = bodyNone
				return n, io.EOF // the end with the last data: the copy writes them with the answer's end
			}
			return n, nil
		}
		switch b.state {
		case chunkSize:
			budget := maxChunkLine
			line, err := readLine(b.br, &budget, errChunkLineTooLong)
			if err != nil {
				return n, unexpected(err)
			}
			size, err := parseChunkSize(line)
			if err != nil {
				return n, err
			}
			if size == 0 {
				if err := b.readTrailers(); err != nil {
					return n, err
				}
				b.framing = bodyNone
				return n, io.EOF
			}
			b.n, b.state = size, chunkData
		case chunkData:
			if len(p) == 0 {
				return 0, nil
			}
			q := p[n:]
			if int64(len(q)) > b.n {
				q = q[:b.n]
			}
			m, err := b.br.Read(q)
			n += m
			b.n -= int64(m)
			if b.n == 0 {
				b.state = chunkCRLF
			}
			if err != nil {
				return n, unexpected(err)
			}
		case chunkCRLF:
			ok, err := wire.ReadChunkEnd(b.br)
			if err != nil {
				return n, err
			}
			if !ok {
				return n, protoErr("no CRLF after chunk data")
			}
			b.state = chunkSize
		}
	}
}

// lastChunk is the end of a chunked body without trailers.
const lastChunk = "0\r\n\r\n"

// lastChunkBuffered reports whether the read buffer holds the body's end
// as lastChunk, the whole of it: readChunked then returns it with the
// data before it.
func (b *bodyReader) lastChunkBuffered() bool {
	if b.br.Buffered() < len(lastChunk) {
		return false
	}
	buf, _ := b.br.Peek(len(lastChunk))
	return string(buf) == lastChunk
}

// moreBuffered reports whether readChunked can take its next step from
// what the read buffer holds, without a read that may wait: some of a
// chunk's data, a chunk's CRLF, or a whole size line of a chunk that is
// not the last (the last one's trailer section may not have come yet; the
// next read ends the body). A line that does not parse is left for the
// next read to report.
func (b *bodyReader) moreBuffered() bool {
	k := b.br.Buffered()
	switch b.state {
	case chunkData:
		return k > 0
	case chunkCRLF:
		return k >= 2
	case chunkSize:
		buf, _ := b.br.Peek(k)
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return false
		}
		line := bytes.TrimSuffix(buf[:i], []byte("\r"))
		size, ok := wire.ParseChunkSize(line)
		return ok && size > 0
	}
	return false
}

// parseChunkSize parses "hex[ws][;ext]" (wire.ParseChunkSize, RFC 9112 7.1.1).
func parseChunkSize(line []byte) (int64, error) {
	n, ok := wire.ParseChunkSize(line)
	if !ok {
		if _, short := wire.ParseChunkSize(line[:min(len(line), 15)]); short && len(line) > 15 && isHex(line[15]) {
			return 0, protoErr("chunk size too large")
		}
		return 0, protoErr("bad chunk size " + clipQuote(line))
	}
	return n, nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// readTrailers reads the trailer section after the last chunk.
func (b *bodyReader) readTrailers() error {
	budget := maxTrailerBytes
	lines := heldLinesOf(b.br)
	h, _, _, err := readFields(&lines, &budget, errTrailersTooLarge, 0, nil, nil, nil)
	if err != nil {
		return unexpected(err)
	}
	for k, v := range h {
		if forbiddenTrailer(k) {
			continue
		}
		if b.resp.Trailer == nil {
			b.resp.Trailer = make(http.Header, len(h))
		}
		b.resp.Trailer[k] = append(b.resp.Trailer[k], v...)
	}
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func clipQuote(b []byte) string { return "\"" + clip(b) + "\"" }

// body is a Response.Body on a pooled connection. At its end (or at an
// early Close, after a bounded drain) the connection goes back to the
// pool when it can carry another request, else it is closed.
type body struct {
	bodyReader
	c       *conn
	rt      roundTrip
	hd      head
	final   finalSlot // the response, when it is a final one (readHead)
	mu      sync.Mutex
	err     error       // sticky: io.EOF at the end, errBodyClosed after Close
	closing atomic.Bool // a Close from another goroutine or the body's end came first
}

func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.read(p)
	if err != nil {
		if err == io.EOF {
			b.err = io.EOF
			// closing decides between this and a concurrent Close
			// closing the connection: only one of them uses it.
			b.rt.done(b.c, b.rt.reuse && b.closing.CompareAndSwap(false, true))
		} else {
			err = b.rt.fail(b.c, err)
			b.err = err
		}
	}
	return n, err
}

// Close ends the body. Unread, a short rest is drained so that the
// connection can be reused; a long one closes it. A Read blocked in
// another goroutine is interrupted by closing the connection.
func (b *body) Close() error {
	if !b.mu.TryLock() {
		if b.closing.CompareAndSwap(false, true) {
			b.c.nc.Close() // ends the Read; it closes the connection
		}
		b.mu.Lock()
	}
	defer b.mu.Unlock()
	if b.err != nil {
		if b.err == io.EOF {
			b.err = errBodyClosed
		}
		return nil
	}
	b.err = errBodyClosed
	if !b.rt.reuse || b.closing.Load() || !b.drainable() || !b.rt.stop() {
		b.rt.done(b.c, false)
		return nil
	}
	// The request's context can no longer interrupt the drain: bound it.
	_ = b.c.nc.SetReadDeadline(time.Now().Add(drainTimeout))
	var scratch [4096]byte
	total := 0
	for total <= drainLimit {
		n, err := b.read(scratch[:])
		total += n
		if err == io.EOF {
			_ = b.c.nc.SetReadDeadline(time.Time{})
			b.rt.done(b.c, true)
			return nil
		}
		if err != nil {
			break
		}
	}
	b.rt.done(b.c, false)
	return nil
}

// drainable: what is left is short enough to read at Close.
func (b *body) drainable() bool {
	switch b.framing {
	case bodyLength:
		return b.n <= drainLimit
	case bodyChunked:
		return true // bounded by drainLimit as it is read
	}
	return false
}

// answers keeps released answers' bodies (Release) for later round trips.
var answers sync.Pool

// maxSpareFields bounds the header map Release keeps: a map keeps its
// room once cleared, and an answer of many fields should not make every
// later one carry it.
const maxSpareFields = 16

// Release gives res, an answer of this client, back for a later one to be
// read into: the allocation its body, its response and its values' room
// share, and its header map, cleared: an allocation and a map (two more)
// less per round trip. The caller must be done with every part of it (the
// response, its header map, the values in it, its body, which must be
// closed) and must have given none of them to anything that could read
// them later: the next answer overwrites them. An answer that is not
// this client's own as it was read (a wrapper's, a 1xx's, one whose map
// was replaced or whose body was sent from a goroutine of the round
// trip's, or whose body is still open) is left to the collector.
func Release(res *http.Response) {
	b, ok := res.Body.(*body)
	if !ok || b.hd.resp != res || res != &b.final.resp || mapPointer(res.Header) != b.hd.fields ||
		len(res.Header) > maxSpareFields || b.rt.wdone != nil || !b.mu.TryLock() {
		return
	}
	closed := b.err == errBodyClosed // Close ran: the round trip is over
	b.mu.Unlock()
	if !closed {
		return
	}
	h := res.Header
	clear(h)
	*b = body{}
	b.final.spare = h
	answers.Put(b)
}
