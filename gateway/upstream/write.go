package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http/httpguts"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/wire"
)

var outPool = sync.Pool{New: func() any { return &outgoing{buf: make([]byte, 0, 2048)} }}

// outgoing is a request ready to write: its head (and small body) in buf.
type outgoing struct {
	buf        []byte
	body       io.ReadCloser // written after the head; nil when none or in buf
	cl         int64         // -1: chunked
	trailer    http.Header
	replayable bool // no body, or GetBody can make it again
	streamed   bool // the body is written after the head, from body
	// inline: body is an in-memory reader of exactly cl bytes, written
	// with the head in one system call (writeInline) instead of copied
	// into buf after it.
	inline bool
	hf     headFirst // writeInline's writer: in the pooled outgoing, not an allocation of its own
}

// CheckedKey is the context key under which a caller says that it checked
// a request's header fields itself: the value is a Checked.
type CheckedKey struct{}

// Checked is what a caller's context gives for CheckedKey{}. Fields says
// that every field of h, which held n fields then, has a token for its
// name and values without CR, LF, NUL or another control character but
// HTAB: what prepare checks (n 0: nothing was checked). prepare then skips
// its own check of a request whose Header is that very map and still
// holds n fields; any other map (a wrapper's clone, another request's) or
// a field added since is checked as before. The caller must not change a
// field's value in the map between its check and the send.
type Checked interface {
	CheckedFields() (h http.Header, n int)
}

// checkedBy reports whether ctx carries a Checked for h as it is.
func checkedBy(ctx interface{ Value(any) any }, h http.Header) bool {
	c, _ := ctx.Value(CheckedKey{}).(Checked)
	if c == nil {
		return false
	}
	ch, n := c.CheckedFields()
	return n > 0 && n == len(h) && ch != nil && wire.SameMap(ch, h)
}

// prepare validates req and lays out its head: a header name or value
// that could end a line or a field (CR, LF, NUL, a non-token name) is an
// error, so that nothing a policy set can smuggle a request. A request
// whose fields its caller checked (Checked) is not checked again.
func prepare(req *http.Request) (*outgoing, error) {
	if req.URL == nil {
		return nil, errors.New("upstream: the request has no URL")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if !validName([]byte(method)) {
		return nil, errors.New("upstream: invalid method " + strconv.Quote(clip([]byte(method))))
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" || !httpguts.ValidHostHeader(host) {
		return nil, errors.New("upstream: invalid Host " + strconv.Quote(clip([]byte(host))))
	}
	o := outPool.Get().(*outgoing)
	b := o.buf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	n := len(b)
	b = appendRequestURI(b, req.URL)
	if !wire.ValidTargetBytes(b[n:]) {
		o.free()
		return nil, errors.New("upstream: invalid request target")
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	checked := checkedBy(req.Context(), req.Header)
	for k, vv := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue
		}
		if !checked && !httpguts.ValidHeaderFieldName(k) {
			o.free()
			return nil, errors.New("upstream: invalid header name " + strconv.Quote(clip([]byte(k))))
		}
		for _, v := range vv {
			if !checked && !wire.ValidFieldValue(v) {
				o.free()
				return nil, errors.New("upstream: invalid value in header " + strconv.Quote(k))
			}
			if v == "" && k == "User-Agent" {
				continue // ReverseProxy's way of saying "none"
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if req.Close && req.Header["Connection"] == nil {
		b = append(b, "Connection: close\r\n"...)
	}
	body := req.Body
	cl := req.ContentLength
	if body == http.NoBody || cl == 0 {
		if body != nil {
			body.Close()
		}
		body, cl = nil, 0
	}
	mem, _ := body.(*MemBody)
	o.replayable = body == nil || req.GetBody != nil || (mem != nil && int64(mem.Len()) == cl)
	switch {
	case body == nil:
		switch method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			b = append(b, "Content-Length: 0\r\n"...)
		}
		b = append(b, "\r\n"...)
	case cl > 0:
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, cl, 10)
		b = append(b, "\r\n\r\n"...)
		if cl <= wire.SmallBody && ((mem != nil && int64(mem.Len()) == cl) || inMemory(body, cl)) {
			o.buf = b
			o.body, o.cl, o.inline = body, cl, true
			return o, nil
		}
		if cl <= wire.SmallBody {
			n := len(b)
			b = grow(b, int(cl))
			_, err := io.ReadFull(body, b[n:])
			body.Close()
			if err != nil {
				o.buf = b
				o.free()
				return nil, fmt.Errorf("upstream: reading the request body: %w", err)
			}
			body = nil
		}
	default: // unknown length
		cl = -1
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
		if len(req.Trailer) > 0 {
			keys := make([]string, 0, len(req.Trailer))
			for k := range req.Trailer {
				if !httpguts.ValidHeaderFieldName(k) {
					o.free()
					body.Close()
					return nil, errors.New("upstream: invalid trailer name " + strconv.Quote(clip([]byte(k))))
				}
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b = append(b, "Trailer: "...)
			b = append(b, strings.Join(keys, ", ")...)
			b = append(b, "\r\n"...)
			o.trailer = req.Trailer
		}
		b = append(b, "\r\n"...)
	}
	o.buf = b
	o.body, o.cl, o.streamed = body, cl, body != nil
	return o, nil
}

// nopCloserWriterTo is the type io.NopCloser gives a *bytes.Reader (a
// WriterTo): the body the gateway sends when a policy read the client's
// (gateway/http.go outRequest), and what GetBody makes again.
var nopCloserWriterTo = reflect.TypeOf(io.NopCloser(bytes.NewReader(nil)))

// inMemory reports whether body is io.NopCloser of a *bytes.Reader with
// exactly cl bytes left to read (net/http's transport looks through the
// same wrapper: unwrapNopCloser). Its WriteTo hands its bytes to one
// Write, without a copy.
func inMemory(body io.ReadCloser, cl int64) bool {
	if reflect.TypeOf(body) != nopCloserWriterTo {
		return false
	}
	r, _ := reflect.ValueOf(body).Field(0).Interface().(*bytes.Reader)
	return r != nil && int64(r.Len()) == cl
}

// twoWriter is a connection that writes two buffers in one system call
// (evloop.Conn, rawio.Conn: sendmsg with two buffers).
type twoWriter interface {
	WriteTwo(a, b []byte) (int, error)
}

// headFirst is the writer an in-memory body writes itself to: its first
// Write sends the head with it (WriteTwo when the connection has it),
// the next ones (none for a *bytes.Reader) the bytes alone. It keeps no
// reference to what it is given.
type headFirst struct {
	nc   net.Conn
	head []byte
}

func (w *headFirst) Write(p []byte) (int, error) {
	if h := w.head; h != nil {
		w.head = nil
		if tw, ok := w.nc.(twoWriter); ok {
			n, err := tw.WriteTwo(h, p)
			return max(n-len(h), 0), err
		}
		if _, err := w.nc.Write(h); err != nil {
			return 0, err
		}
	}
	return w.nc.Write(p)
}

// writeInline writes the head and an inline body (inMemory). A body that
// writes less than cl (none does: inMemory checked its length) is an
// error, as a short streamed body is.
func (o *outgoing) writeInline(nc net.Conn) error {
	body := o.body
	o.body = nil
	w := &o.hf
	*w = headFirst{nc: nc, head: o.buf}
	var n int64
	var err error
	if wt, ok := body.(io.WriterTo); ok {
		n, err = wt.WriteTo(w)
	} else { // a GetBody of another kind, on a second attempt
		n, err = io.Copy(w, io.LimitReader(readErrors{body}, o.cl))
	}
	if err == nil && w.head != nil { // nothing written: the head still goes
		_, err = nc.Write(w.head)
	}
	if err == nil && n < o.cl {
		err = &bodyReadError{io.ErrUnexpectedEOF}
	}
	*w = headFirst{}
	body.Close()
	return err
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n)
	copy(nb, b)
	return nb
}

// free returns o to the pool (with a large buffer dropped). o is not
// used after.
func (o *outgoing) free() {
	buf := o.buf[:0]
	if cap(buf) > 32<<10 {
		buf = make([]byte, 0, 2048)
	}
	*o = outgoing{buf: buf}
	outPool.Put(o)
}

func (o *outgoing) closeBody() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
}

// write sends the head (and a small body) in one write; a large or
// streamed body goes on in a goroutine whose result arrives on rt.wdone.
func (o *outgoing) write(nc net.Conn, rt *roundTrip) error {
	if o.inline {
		return o.writeInline(nc)
	}
	if _, err := nc.Write(o.buf); err != nil {
		return err
	}
	if o.body == nil {
		return nil
	}
	body, cl, trailer := o.body, o.cl, o.trailer
	o.body = nil
	if lc := loopConn(nc); lc != nil {
		// On an event loop the connection is only the task's: the body is
		// written here, before the answer is read (loop.go). (A client's
		// body this large took its connection off the loop first, h1's
		// leaveLoop: this is a body the gateway made.) A backend that
		// refuses the body before taking it is heard as the goroutine
		// below lets the reader hear it: the write stops where it would
		// wait once the backend has answered 300 or more or closed
		// (untilAnswer), or fails, and the answer, if one came, is read as
		// usual; the connection is not reused.
		var w io.Writer = nc // TLS: its records cannot stop halfway
		if nc == net.Conn(lc) {
			w = &untilAnswer{c: lc}
		}
		err := writeBody(w, body, cl, trailer)
		body.Close()
		var be *bodyReadError
		if err == nil || errors.As(err, &be) || w == io.Writer(nc) {
			return err // done, the client's body failed, or TLS
		}
		ch := make(chan error, 1)
		ch <- err
		rt.wdone = ch
		rt.state.Store(writeCut)
		return nil
	}
	ch := make(chan error, 1)
	rt.wdone = ch
	go func() {
		err := writeBody(nc, body, cl, trailer)
		if err != nil && rt.state.CompareAndSwap(0, writeFailed) {
			nc.Close() // no answer yet: the waiting read ends too
		}
		body.Close()
		ch <- err
	}()
	return nil
}

// untilAnswer writes a request body to a loop connection until the
// backend refuses it: where a write would wait and the backend has
// already answered with a status of 300 or more, or closed, the body is
// cut short (the goroutine path's reader would have returned that answer
// while the body was still being written). A 1xx or 2xx answer (100
// Continue; a backend that streams its answer while it reads) does not
// stop the body.
type untilAnswer struct {
	c        *evloop.Conn
	accepted bool // the backend answered with a 1xx or 2xx: write on
}

func (w *untilAnswer) Write(p []byte) (int, error) {
	if w.accepted {
		return w.c.Write(p)
	}
	n, err := w.c.WriteUnlessReadable(p)
	if err != evloop.ErrReadable {
		return n, err
	}
	var head [12]byte // "HTTP/1.1 200"
	m, perr := w.c.Peek(head[:])
	if perr == nil && m == len(head) && (head[9] == '1' || head[9] == '2') {
		w.accepted = true
		k, err := w.c.Write(p[n:])
		return n + k, err
	}
	// A refusal, the end of the stream, an error, or a head too short to
	// tell yet: a backend that sent its first bytes and no more before
	// the status is taken for one that will not read on.
	return n, errBodyCut
}

// errBodyCut: the body's write stopped because the backend answered or
// closed first. It is the call's error only when no answer can be read.
var errBodyCut = errors.New("upstream: the backend answered or closed before it took the whole request body")

// errBodyWrite wraps a failure to read the request body.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return "upstream: reading the request body: " + e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

func writeBody(nc io.Writer, body io.Reader, cl int64, trailer http.Header) error {
	if cl > 0 {
		n, err := io.Copy(nc, io.LimitReader(readErrors{body}, cl))
		if err == nil && n < cl {
			err = &bodyReadError{io.ErrUnexpectedEOF}
		}
		return err
	}
	bw := bufio.NewWriterSize(nc, 32<<10)
	buf := make([]byte, 32<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			bw.WriteString(strconv.FormatInt(int64(n), 16))
			bw.WriteString("\r\n")
			bw.Write(buf[:n])
			bw.WriteString("\r\n")
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return &bodyReadError{rerr}
		}
	}
	bw.WriteString("0\r\n")
	for k, vv := range trailer {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range vv {
			if wire.ValidFieldValue(v) {
				bw.WriteString(k + ": " + v + "\r\n")
			}
		}
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

// readErrors marks the body's own read errors apart from the connection's.
type readErrors struct{ r io.Reader }

func (r readErrors) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyReadError{err}
	}
	return n, err
}

// appendRequestURI appends u.RequestURI() to b without building the
// string (its query is a concatenation: an allocation per request).
func appendRequestURI(b []byte, u *url.URL) []byte {
	if u.Opaque != "" {
		if strings.HasPrefix(u.Opaque, "//") {
			b = append(b, u.Scheme...)
			b = append(b, ':')
		}
		b = append(b, u.Opaque...)
	} else if p := u.EscapedPath(); p != "" {
		b = append(b, p...)
	} else {
		b = append(b, '/')
	}
	if u.ForceQuery || u.RawQuery != "" {
		b = append(b, '?')
		b = append(b, u.RawQuery...)
	}
	return b
}
