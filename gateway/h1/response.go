package h1

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"tollgate/gateway/internal/wire"
)

// response is the http.ResponseWriter for one request. Like net/http's, it
// holds the head back until the handler writes more than a small buffer,
// flushes, or returns, so a short response gets a Content-Length; a longer
// one without a declared length is sent chunked (HTTP/1.1) or ends with the
// connection (HTTP/1.0).
type response struct {
	c        *conn
	req      *http.Request
	header   http.Header
	status   int
	method   string
	wrote    bool // the status is fixed (WriteHeader called or implied)
	headSent bool
	chunked  bool
	noBody   bool // HEAD, 204, 304: writes are eaten or refused
	// adopted: the header map is one AdoptHeader took with nothing set
	// before it (WriteHeaderLength).
	adopted bool
	// given: declared is the handler's word (WriteHeaderLength), not
	// the map's Content-Length: sendHead writes the field from declared.
	given     bool
	declared  int64 // Content-Length the handler set; -1 if none
	written   int64
	pending   []byte // body bytes held back before the head is sent
	closeConn bool
	hijacked  bool
	// ended: the request is over (serveOne set it after the answer's end
	// or the hijack). A writer kept past its request refuses every use
	// that would reach the connection, whose state may serve another
	// connection by then (serveLoopConn).
	ended    bool
	trailers []string // trailer names announced in the Trailer header
}

// holdBack is how much body the writer keeps before sending the head (as
// net/http's 2 KiB chunking buffer).
const holdBack = 2048

func (w *response) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header, 8)
	}
	return w.header
}

// HeaderIfAny is the response's header map, or nil when nothing has asked
// for it yet: a caller that only reads it (the WebSocket upgrade's 101)
// need not make one.
func (w *response) HeaderIfAny() http.Header { return w.header }

// AdoptHeader makes h the response's header map, with the fields set so
// far in front of h's of the same name, unless the head is already fixed.
// A proxy relays its backend's header map this way instead of copying it
// field by field into a map of the response's own (gateway/http.go). It
// reports whether h was taken; the caller then changes the response's
// fields through Header only.
func (w *response) AdoptHeader(h http.Header) bool {
	if w.wrote || w.hijacked || h == nil {
		return false
	}
	if len(w.header) == 0 { // nothing set before: no walk (a range starts with a random draw)
		w.header = h
		w.adopted = true
		return true
	}
	for k, vv := range w.header {
		if len(h[k]) > 0 {
			h[k] = append(vv[:len(vv):len(vv)], h[k]...)
		} else {
			h[k] = vv
		}
	}
	w.header = h
	return true
}

// HeaderDone reports whether w is this package's response whose head is
// laid out (in the write buffer or sent) and that reads its header map no
// more: not chunked (a chunked answer's trailers are read from it at the
// end) nor hijacked. A handler that adopted a map (AdoptHeader) may then
// reuse it.
func HeaderDone(w http.ResponseWriter) bool {
	rw, ok := w.(*response)
	return ok && rw.headSent && !rw.chunked && !rw.hijacked
}

// WriteHeaderLength is WriteHeader for a handler that adopted its
// backend's header map (AdoptHeader, with nothing set before) and knows
// the map's Content-Length without looking it up: n, its value, or -1
// when it has none (a backend client that framed the answer by it, and
// nothing changed the field since). The answer is framed by n, and the
// Content-Length sent is n's, not the map's (so that what is sent and how
// it is framed never differ, whatever the map holds). On another writer,
// a map not adopted whole, or a 1xx: WriteHeader, and false (the map's
// fields may not be the ones the handler knows of).
func WriteHeaderLength(w http.ResponseWriter, code int, n int64) bool {
	rw, ok := w.(*response)
	if !ok || !rw.adopted || code < 200 || code > 999 || rw.hijacked || rw.wrote || rw.ended {
		w.WriteHeader(code)
		return false
	}
	rw.wrote, rw.status = true, code
	if rw.method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified {
		rw.noBody = true
	}
	rw.declared, rw.given = max(n, -1), true
	return true
}

func (w *response) WriteHeader(code int) {
	if w.hijacked || w.wrote || w.ended {
		return
	}
	if code < 100 || code > 999 {
		panic("invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		w.writeInformational(code)
		return
	}
	w.wrote = true
	w.status = code
	if w.method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified {
		w.noBody = true
	}
	w.declared = -1
	if v := w.header["Content-Length"]; len(v) > 0 {
		// Digits alone (a backend's value, trimmed as it was read) parse
		// as they are; TrimSpace (about 40 instructions per answer) only
		// for a value that is not, with the same outcome.
		n, ok := wire.ParseLength(v[0])
		if !ok {
			n, ok = wire.ParseLength(strings.TrimSpace(v[0]))
		}
		if ok {
			w.declared = n
		} else {
			delete(w.header, "Content-Length")
		}
	}
}

// WriteHeaderReason is WriteHeader with the status line's reason phrase: a
// policy's set-status reason ("403 Certificate must be included in the
// request"). An empty reason, or one without a visible character, is the
// standard text; characters a reason phrase cannot hold (controls, CR, LF)
// become spaces, so a reason cannot split the head.
func (w *response) WriteHeaderReason(code int, reason string) {
	if !w.wrote && !w.hijacked && !w.ended && code >= 200 && code <= 999 {
		w.c.reason = reasonPhrase(reason)
	}
	w.WriteHeader(code)
}

// reasonPhrase keeps what RFC 9112's reason-phrase allows (HTAB, SP, VCHAR,
// obs-text), other bytes as spaces, and nothing when no visible character
// is left.
func reasonPhrase(s string) string {
	visible, clean := false, true
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '\t' || b == ' ':
		case b < 0x20 || b == 0x7f:
			clean = false
		default:
			visible = true
		}
	}
	if !visible {
		return ""
	}
	if clean {
		return s
	}
	out := []byte(s)
	for i, b := range out {
		if b != '\t' && (b < 0x20 || b == 0x7f) {
			out[i] = ' '
		}
	}
	return string(out)
}

// writeInformational sends a 1xx (103 Early Hints, say) with the headers
// set so far, as net/http does.
func (w *response) writeInformational(code int) {
	c := w.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if code == http.StatusContinue {
		if c.sent100 {
			return
		}
		c.sent100 = true
	}
	bw := c.bw
	writeStatusLine(bw, w.req.ProtoAtLeast(1, 1), code)
	writeFields(bw, w.header, nil)
	bw.WriteString("\r\n")
	_ = bw.Flush()
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked || w.ended {
		return 0, w.gone()
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if w.noBody {
		if w.method == http.MethodHead {
			return len(p), nil
		}
		return 0, http.ErrBodyNotAllowed
	}
	if w.declared >= 0 && w.written+int64(len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if !w.headSent {
		if w.declared < 0 && len(w.pending)+len(p) <= holdBack {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		if err := w.sendHead(false); err != nil {
			return 0, err
		}
	}
	return len(p), w.writeBody(p)
}

var crlf = []byte("\r\n")

// sizeLineMax is the longest size line writeBody makes: 16 hex digits
// and CRLF.
const sizeLineMax = 18

func (w *response) writeBody(p []byte) error {
	bw := w.c.bw
	if w.chunked {
		// The size line is made in bw's own room (a buffer of the
		// caller's escapes through bufio's Write: an allocation per
		// chunk); short of room for it, bw is sent first, as its Write
		// would have done on filling up.
		if bw.Available() < sizeLineMax {
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		line := append(strconv.AppendInt(bw.AvailableBuffer(), int64(len(p)), 16), "\r\n"...)
		if len(line)+len(p)+2 > bw.Available() {
			// What bw holds, the size line, the data and its CRLF in one
			// write where bufio made three (the buffer filled and sent,
			// the rest of the data, then the CRLF at the next flush).
			bw.Write(line)
			return w.c.flushWith2(p, crlf)
		}
		bw.Write(line)
		bw.Write(p)
		_, err := bw.WriteString("\r\n")
		return err
	}
	if len(p) > bw.Available() && bw.Buffered() > 0 {
		return w.c.flushWith(p)
	}
	_, err := bw.Write(p)
	return err
}

// sendHead writes the status line and fields, choosing the framing: the
// declared length, else (final) the held-back bytes' length, else chunked
// (or close-delimited for HTTP/1.0), then writes the held-back bytes.
func (w *response) sendHead(final bool) error {
	c := w.c
	c.wmu.Lock()
	w.headSent = true
	c.sent100 = true // too late for 100 Continue
	c.wmu.Unlock()
	h := w.Header()
	http11 := w.req.ProtoAtLeast(1, 1)
	if !w.noBody && len(w.pending) > 0 { // no lookup for an answer whose bytes went straight out
		if _, ok := h["Content-Type"]; !ok {
			h["Content-Type"] = []string{http.DetectContentType(w.pending)}
		}
	}
	if c.srv.draining() || w.req.Close {
		w.closeConn = true
	}
	bw := c.bw
	if c.reason != "" {
		writeStatusLineReason(bw, http11, w.status, c.reason)
	} else {
		writeStatusLine(bw, http11, w.status)
	}
	// The fields are written in one walk of the map, which also sees what
	// the framing depends on: Trailer, trailer-prefixed names and
	// Content-Length, which is held back until the framing is known (then
	// written after the others), where each was a map lookup of its own
	// (or, for the trailer prefix, a walk). Date and Connection are seen
	// there too (the Connection's "close" only decides what is written
	// after the fields). The framing is the server's: writeFields skips a
	// Transfer-Encoding the handler set.
	seen := writeFields(bw, h, w)
	for _, v := range seen.trailer {
		for k := range strings.SplitSeq(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				w.trailers = append(w.trailers, http.CanonicalHeaderKey(k))
			}
		}
	}
	cl := seen.contentLength
	given := w.given && w.declared >= 0 // the length the handler gave, written below
	if w.given {
		cl = nil // the map's is not sent: the framing is the handler's word (WriteHeaderLength)
	}
	if !w.noBody {
		switch {
		case w.declared >= 0 && len(w.trailers) == 0:
		case final && len(w.trailers) == 0 && !seen.trailerPrefix:
			w.declared = int64(len(w.pending))
			cl = nil
			writeContentLength(bw, len(w.pending))
		case http11:
			w.chunked = true
			if cl != nil || w.given {
				delete(h, "Content-Length")
				cl = nil
			}
			given = false
			w.declared = -1
		default:
			w.closeConn = true
		}
	}
	if cl != nil && w.status != http.StatusNoContent { // RFC 9110 §8.6: never on a 204
		writeField(bw, "Content-Length", cl)
	} else if given && w.status != http.StatusNoContent {
		writeContentLength(bw, int(w.declared))
	}
	if seen.connClose {
		w.closeConn = true
	}
	if !seen.date {
		if d := httpDate(); len(d)+8 <= bw.Available() { // one write, as writeField
			b := bw.AvailableBuffer()
			b = append(b, "Date: "...)
			b = append(b, d...)
			b = append(b, "\r\n"...)
			bw.Write(b)
		} else {
			bw.WriteString("Date: ")
			bw.Write(d)
			bw.WriteString("\r\n")
		}
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if w.closeConn {
		if !seen.connection {
			bw.WriteString("Connection: close\r\n")
		}
	} else if !http11 {
		bw.WriteString("Connection: keep-alive\r\n")
	}
	_, err := bw.WriteString("\r\n")
	if len(w.pending) > 0 && !w.noBody {
		p := w.pending
		w.pending = w.pending[:0]
		if err := w.writeBody(p); err != nil {
			return err
		}
	}
	return err
}

// finish completes the response after the handler returned.
func (w *response) finish() error {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		if err := w.sendHead(true); err != nil {
			return err
		}
	}
	bw := w.c.bw
	if w.chunked {
		bw.WriteString("0\r\n")
		for _, k := range w.trailers {
			writeField(bw, k, w.header[k])
		}
		for k, vv := range w.header {
			if strings.HasPrefix(k, http.TrailerPrefix) {
				writeField(bw, strings.TrimPrefix(k, http.TrailerPrefix), vv)
			}
		}
		bw.WriteString("\r\n")
	} else if w.declared >= 0 && w.written < w.declared && !w.noBody {
		w.closeConn = true // the client waits for bytes that will not come
	}
	return bw.Flush()
}

// Flush sends the head and everything written so far.
func (w *response) Flush() {
	_ = w.FlushError()
}

// FlushError is Flush with its error (http.ResponseController uses it).
func (w *response) FlushError() error {
	if w.hijacked || w.ended {
		return w.gone()
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !w.headSent {
		if err := w.sendHead(false); err != nil {
			return err
		}
	}
	return w.c.bw.Flush()
}

// Hijack hands the connection over (WebSocket upgrades). Bytes the client
// sent after its request stay in the returned reader.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked || w.ended {
		return nil, nil, w.gone()
	}
	if w.headSent {
		return nil, nil, errHijackAfterWrite
	}
	w.hijacked = true
	c := w.c
	c.hijacked = true
	_ = c.rwc.SetDeadline(time.Time{})
	c.bw.Reset(c.rwc) // the hijacker's writes carry no deadline of ours
	return c.rwc, bufio.NewReadWriter(c.br, c.bw), nil
}

// HijackRaw hands the connection over with a copy of the bytes the client
// sent after its request, and keeps the server's read and write buffers,
// which go back to their pool: what a WebSocket upgrade needs, without the
// bufio.ReadWriter (and its 8 KiB of buffers lost per handshake) that
// Hijack must return.
func (w *response) HijackRaw() (net.Conn, []byte, error) {
	if w.hijacked || w.ended {
		return nil, nil, w.gone()
	}
	if w.headSent {
		return nil, nil, errHijackAfterWrite
	}
	c := w.c
	var pending []byte
	if n := c.br.Buffered(); n > 0 {
		p, _ := c.br.Peek(n)
		pending = bytes.Clone(p)
	}
	w.hijacked = true
	c.hijacked, c.rawHijack = true, true
	_ = c.rwc.SetDeadline(time.Time{})
	return c.rwc, pending, nil
}

// SetReadDeadline and SetWriteDeadline serve http.ResponseController.
func (w *response) SetReadDeadline(t time.Time) error {
	if w.ended {
		return errRequestOver
	}
	return w.c.rwc.SetReadDeadline(t)
}

func (w *response) SetWriteDeadline(t time.Time) error {
	if w.ended {
		return errRequestOver
	}
	w.c.w.armed = 0 // the next write renews the server's own, as before
	return w.c.rwc.SetWriteDeadline(t)
}

// EnableFullDuplex is a no-op: the body can always be read while the
// response is written.
func (w *response) EnableFullDuplex() error { return nil }

type hijackError string

func (e hijackError) Error() string { return string(e) }

const (
	errHijackAfterWrite = hijackError("h1: Hijack after the response started")
	errRequestOver      = hijackError("h1: response used after its request ended")
)

// gone is the error of a write to a response that cannot take one: hijacked
// (http.ErrHijacked, as net/http's), or kept past its request's end.
func (w *response) gone() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	return errRequestOver
}

// writeStatusLine writes "HTTP/1.x CODE Reason\r\n".
func writeStatusLine(bw *bufio.Writer, http11 bool, code int) {
	text := http.StatusText(code)
	if code >= 100 && code <= 999 && text != "" && len(text)+15 <= bw.Available() {
		// The usual line, laid out in the writer's free space and written
		// once (as writeField).
		b := bw.AvailableBuffer()
		if http11 {
			b = append(b, "HTTP/1.1 "...)
		} else {
			b = append(b, "HTTP/1.0 "...)
		}
		b = append(b, byte('0'+code/100), byte('0'+code/10%10), byte('0'+code%10), ' ')
		b = append(b, text...)
		b = append(b, "\r\n"...)
		bw.Write(b)
		return
	}
	if http11 {
		bw.WriteString("HTTP/1.1 ")
	} else {
		bw.WriteString("HTTP/1.0 ")
	}
	if code >= 100 && code <= 999 { // WriteHeader refuses others; a buffer for AppendInt would escape (bufio's Write)
		bw.WriteByte(byte('0' + code/100))
		bw.WriteByte(byte('0' + code/10%10))
		bw.WriteByte(byte('0' + code%10))
	} else {
		bw.WriteString(strconv.Itoa(code))
	}
	bw.WriteByte(' ')
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	bw.WriteString(text)
	bw.WriteString("\r\n")
}

// writeStatusLineReason writes "HTTP/1.x CODE reason\r\n" with a reason
// reasonPhrase has cleaned.
func writeStatusLineReason(bw *bufio.Writer, http11 bool, code int, reason string) {
	if http11 {
		bw.WriteString("HTTP/1.1 ")
	} else {
		bw.WriteString("HTTP/1.0 ")
	}
	bw.WriteString(strconv.Itoa(code))
	bw.WriteByte(' ')
	bw.WriteString(reason)
	bw.WriteString("\r\n")
}

// seenFields is what writeFields saw of the fields sendHead asks about.
type seenFields struct {
	date          bool     // a Date field (sendHead writes one when there is none)
	connection    bool     // a Connection field
	connClose     bool     // ... with "close" in a value
	trailerPrefix bool     // a name with http.TrailerPrefix (a trailer not announced)
	trailer       []string // the Trailer field's values
	contentLength []string // the Content-Length field's values, not written
}

// writeFields writes h's fields except the trailers (when w is not nil)
// and the ones the server writes itself. Names that are not tokens are
// skipped and CR/LF in values become spaces, as net/http does, so a handler
// cannot split the response.
// For a response w, it reports what it saw of Date, Connection, Trailer
// and trailer-prefixed names, and holds Content-Length back: it reports
// its values, which sendHead writes once it knows the framing.
func writeFields(bw *bufio.Writer, h http.Header, w *response) (seen seenFields) {
	for k, vv := range h {
		if w != nil {
			switch k {
			case "Transfer-Encoding":
				continue
			case "Content-Length":
				seen.contentLength = vv
				continue
			case "Date":
				seen.date = true
			case "Trailer":
				seen.trailer = vv
			case "Connection":
				seen.connection = true
				for _, s := range vv {
					if strings.Contains(strings.ToLower(s), "close") {
						seen.connClose = true
					}
				}
			}
			if strings.HasPrefix(k, http.TrailerPrefix) {
				seen.trailerPrefix = true
				continue
			}
		}
		writeField(bw, k, vv)
	}
	return seen
}

// writeContentLength writes "Content-Length: n", without a string for n.
func writeContentLength(bw *bufio.Writer, n int) {
	if bw.Available() >= len("Content-Length: \r\n")+20 {
		b := append(bw.AvailableBuffer(), "Content-Length: "...)
		b = strconv.AppendInt(b, int64(n), 10)
		bw.Write(append(b, "\r\n"...))
		return
	}
	bw.WriteString("Content-Length: ")
	bw.WriteString(strconv.Itoa(n))
	bw.WriteString("\r\n")
}

func writeField(bw *bufio.Writer, k string, vv []string) {
	if !httpguts.ValidHeaderFieldName(k) {
		return
	}
	for _, v := range vv {
		if strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, '\n') >= 0 {
			v = strings.Map(func(r rune) rune {
				if r == '\r' || r == '\n' {
					return ' '
				}
				return r
			}, v)
		}
		v = strings.TrimSpace(v)
		// The line is laid out in the writer's free space and written
		// once, where four writes made it (bufio's Write of its own
		// AvailableBuffer copies nothing it has not written already).
		if len(k)+len(v)+4 <= bw.Available() {
			b := bw.AvailableBuffer()
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
			bw.Write(b)
			continue
		}
		bw.WriteString(k)
		bw.WriteString(": ")
		bw.WriteString(v)
		bw.WriteString("\r\n")
	}
}

// httpDate is the Date field's value, formatted once a second and read
// without a clock read: the first response of a second formats it, and a
// timer drops it when that second ends (a clock read per response was one
// of the dozen a proxied request made; docs/http-server.md). The timer's
// lateness, a few milliseconds on a loaded machine, is the most the Date
// can lag behind the clock.
func httpDate() []byte {
	if d := dateCache.Load(); d != nil {
		return d.b
	}
	now := time.Now()
	d := &cachedDate{b: now.UTC().AppendFormat(make([]byte, 0, 29), http.TimeFormat)}
	if dateCache.CompareAndSwap(nil, d) {
		time.AfterFunc(time.Second-time.Duration(now.Nanosecond()), dropDate)
	}
	return d.b
}

// dropDate ends the cached Date's second.
func dropDate() { dateCache.Store(nil) }

type cachedDate struct{ b []byte }

var dateCache atomic.Pointer[cachedDate]
