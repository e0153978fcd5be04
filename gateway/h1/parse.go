package h1

import (
	"bufio"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"tollgate/gateway/internal/wire"
)

// statusError is a request the server refuses before any handler runs: the
// status it answers with, and why (sent in the body; never echoes input).
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func bad(msg string) error { return &statusError{http.StatusBadRequest, msg} }

var (
	errHeadTooLarge = &statusError{http.StatusRequestHeaderFieldsTooLarge, "request header fields too large"}
	errBareCR       = bad("bare CR in the request head")
)

// readHead reads one request head (request line and header fields, up to
// and including the empty line) into buf, which it returns grown as needed;
// max bounds its size. A few empty lines before the request line are
// skipped, as RFC 9112 §2.2 allows; more are an error.
func readHead(br *bufio.Reader, buf []byte, max int) ([]byte, error) {
	buf = buf[:0]
	cur := 0 // bytes of the current line so far
	skipped := 0
	for {
		line, err := br.ReadSlice('\n')
		if len(buf)+len(line) > max {
			return buf, errHeadTooLarge
		}
		buf = append(buf, line...)
		cur += len(line)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if len(buf) == 0 {
				return buf, err // the connection ended between requests
			}
			return buf, errTruncated{err}
		}
		if cur == 1 || (cur == 2 && buf[len(buf)-2] == '\r') { // an empty line
			if len(buf) > cur {
				return buf, nil // the end of the head
			}
			if skipped++; skipped > maxLeadingEmptyLines {
				return buf, bad("too many empty lines before the request line")
			}
			buf = buf[:0]
		}
		cur = 0
	}
}

const maxLeadingEmptyLines = 4

// errTruncated is a connection that ended or failed inside a request head.
type errTruncated struct{ err error }

func (e errTruncated) Error() string { return "request head truncated: " + e.err.Error() }
func (e errTruncated) Unwrap() error { return e.err }

// request is the framing parseHead finds in a head, which the server needs.
type request struct {
	length    int64 // body length; -1 when chunked
	chunked   bool
	close     bool // the client asked for, or HTTP/1.0 implies, the connection's end
	expect100 bool
	noted     uint64 // which of the server's Noted names came: bit i, its i-th (Noted)
}

// headRoom is room parseHead fills instead of allocating: the request
// target's URL and the header values' slice headers (when the head has at
// most len(vals) fields).
type headRoom struct {
	url  url.URL
	vals [8]string
}

// parseHead parses a complete head (as readHead returns it) into r, whose
// fields it sets one by one (r's context stays as it is; r has no Body),
// and req. The whole head becomes one string; the method, target and every
// header value are substrings of it, so a request costs a handful of
// allocations however many fields it has. room, when not nil, holds the
// URL and the values' slice headers; the caller must never reuse it.
// noted, when not nil, is the set whose presence req.noted says. h, when
// not nil, is an empty map to fill (the connection's, ReuseHeader); nil
// makes one.
//
// It is strict where leniency lets two parsers disagree (request smuggling):
// a field name with whitespace before the colon, obs-fold, a bare CR, a
// control byte in a value, Content-Length with Transfer-Encoding, differing
// Content-Length values, any transfer coding but a lone "chunked", a missing
// or repeated Host in HTTP/1.1: all are refused (RFC 9112 §3, §5, §6).
func parseHead(head []byte, req *request, r *http.Request, room *headRoom, noted *FieldSet) error {
	return parseHeadString(string(head), req, r, room, noted, nil)
}

// parseHeadString is parseHead of a head already made a string (the
// server's: its bytes in room beside the exchange, newExchange).
func parseHeadString(s string, req *request, r *http.Request, room *headRoom, noted *FieldSet, h http.Header) error {
	// Request line.
	i := strings.IndexByte(s, '\n')
	line := trimCR(s[:i])
	s = s[i+1:]
	if strings.IndexByte(line, '\r') >= 0 {
		return errBareCR
	}
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" {
		return bad("malformed request line")
	}
	if !validMethod(method) {
		return bad("invalid method")
	}
	var major, minor int
	switch proto {
	case "HTTP/1.1":
		major, minor = 1, 1
	case "HTTP/1.0":
		major, minor = 1, 0
	default:
		if strings.HasPrefix(proto, "HTTP/") && len(proto) == 8 && proto[6] == '.' &&
			proto[5] >= '0' && proto[5] <= '9' && proto[7] >= '0' && proto[7] <= '9' {
			return &statusError{http.StatusHTTPVersionNotSupported, "HTTP version not supported"}
		}
		return bad("malformed HTTP version")
	}
	if !wire.ValidTarget(target) {
		return bad("invalid request target")
	}

	// Header fields: count them first, so that the values share one slice.
	n := strings.Count(s, "\n") - 1
	if h == nil {
		h = make(http.Header, n)
	}
	var vals []string
	if room != nil && n <= len(room.vals) {
		vals = room.vals[:n]
	} else {
		vals = make([]string, n)
	}
	var (
		host    string
		hosts   int
		cl      string
		haveCL  bool
		te      []string
		connHdr []string
		expect  string
		vi      int
		came    uint64     // noted's names that came (bit i: its i-th)
		keysArr [16]string // the distinct names so far (seen, below)
	)
	keys := keysArr[:0]
	for {
		i := strings.IndexByte(s, '\n')
		line := trimCR(s[:i])
		s = s[i+1:]
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return bad("obsolete line folding")
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			return bad("malformed header field")
		}
		name := line[:colon]
		if !httpguts.ValidHeaderFieldName(name) {
			return bad("invalid header field name")
		}
		v := wire.TrimOWS(line[colon+1:])
		if !wire.ValidFieldValue(v) {
			return bad("invalid header field value")
		}
		key := wire.CanonicalKey(name)
		// Whether the name came before: compared with the names so far
		// while they fit the stack's 16 (a request rarely repeats one),
		// the map's lookup past them.
		seen := false
		if len(keys) < len(keysArr) {
			for _, k := range keys {
				if k == key {
					seen = true
					break
				}
			}
			if !seen {
				keys = append(keys, key)
			}
		} else {
			_, seen = h[key]
		}
		if !seen && noted != nil {
			if i := noted.index(key); i >= 0 {
				came |= 1 << i
			}
		}
		switch key {
		case "Host":
			host = v
			hosts++
		case "Content-Length":
			if haveCL && v != cl {
				return bad("conflicting Content-Length")
			}
			cl, haveCL = v, true
			if seen {
				continue // identical repeats count once (RFC 9110 §8.6)
			}
		case "Transfer-Encoding":
			te = append(te, v)
		case "Connection":
			connHdr = append(connHdr, v)
		case "Expect":
			expect = v
		}
		if seen {
			h[key] = append(h[key], v)
			continue
		}
		vals[vi] = v
		h[key] = vals[vi : vi+1 : vi+1]
		vi++
	}

	*req = request{noted: came}
	r.Method = method
	r.Proto = proto
	r.ProtoMajor, r.ProtoMinor = major, minor
	r.Header = h
	r.RequestURI = target

	// Target and host.
	if method == http.MethodConnect {
		return &statusError{http.StatusMethodNotAllowed, "CONNECT is not supported"}
	}
	var u *url.URL
	if room != nil {
		u = &room.url
	} else {
		u = new(url.URL)
	}
	switch {
	case target == "*":
		if method != http.MethodOptions {
			return bad("asterisk-form target is for OPTIONS")
		}
		*u = url.URL{Path: "*"}
		r.URL = u
	case originForm(target, u):
		r.URL = u
	default:
		var err error
		if r.URL, err = url.ParseRequestURI(target); err != nil {
			return bad("invalid request target")
		}
	}
	if hosts > 1 {
		return bad("more than one Host")
	}
	if hosts == 0 && minor == 1 {
		return bad("missing Host")
	}
	if !httpguts.ValidHostHeader(host) {
		return bad("invalid Host")
	}
	r.Host = host
	if r.URL.Host != "" { // absolute-form: its authority wins (RFC 9112 §3.2.2)
		r.Host = r.URL.Host
	}

	// Connection options.
	keepAlive := false
	for _, v := range connHdr {
		for opt := range strings.SplitSeq(v, ",") {
			opt = wire.TrimOWS(opt)
			switch {
			case strings.EqualFold(opt, "close"):
				req.close = true
			case strings.EqualFold(opt, "keep-alive"):
				keepAlive = true
			}
		}
	}
	if minor == 0 && !keepAlive {
		req.close = true // HTTP/1.0 closes unless it asked otherwise
	}
	r.Close = req.close

	// Framing (RFC 9112 §6).
	if len(te) > 0 {
		if haveCL {
			return bad("both Transfer-Encoding and Content-Length")
		}
		if minor == 0 {
			return bad("Transfer-Encoding in an HTTP/1.0 request")
		}
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return &statusError{http.StatusNotImplemented, "unsupported transfer coding"}
		}
		req.chunked = true
		req.length = -1
		r.TransferEncoding = []string{"chunked"}
		delete(h, "Transfer-Encoding")
	} else if haveCL {
		n, ok := wire.ParseLength(cl)
		if !ok {
			return bad("invalid Content-Length")
		}
		req.length = n
	}
	r.ContentLength = req.length
	if expect != "" {
		if !strings.EqualFold(expect, "100-continue") {
			return &statusError{http.StatusExpectationFailed, "unsupported expectation"}
		}
		req.expect100 = minor == 1 && req.length != 0
	}
	return nil
}

// originForm parses the commonest request target, a path of characters
// url.URL writes back as they are, with a query or none ("/a/b?x=1"),
// into u as url.ParseRequestURI would, without its allocation. It
// reports false for anything else (percent-escapes, an absolute URL, a
// target ending in "?"...), which ParseRequestURI then parses:
// FuzzOriginForm holds the two to the same URL. target has no control
// bytes or spaces (parseHead checked).
func originForm(target string, u *url.URL) bool {
	if target == "" || target[0] != '/' || target[len(target)-1] == '?' {
		return false
	}
	path, query, _ := strings.Cut(target, "?")
	for i := 0; i < len(path); i++ {
		if !plainPathByte[path[i]] {
			return false
		}
	}
	*u = url.URL{Path: path, RawQuery: query}
	return true
}

// plainPathByte: bytes of a path that url.URL neither unescapes nor
// escapes (RFC 3986's unreserved characters and the sub-delimiters Go
// leaves alone in a path), so that Path is the target's path as sent and
// RawPath is empty.
var plainPathByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

func trimCR(s string) string {
	if n := len(s); n > 0 && s[n-1] == '\r' {
		return s[:n-1]
	}
	return s
}

func validMethod(m string) bool {
	for i := 0; i < len(m); i++ {
		if !httpguts.IsTokenRune(rune(m[i])) {
			return false
		}
	}
	return true
}

var errChunk = errors.New("malformed chunked encoding")

func validFieldName(s string) bool { return httpguts.ValidHeaderFieldName(s) }

// FieldSet is a few request field names (Server.Noted, at most 64) whose
// presence the server notes as it parses a head: a handler that must act
// on one of them (the gateway's trace tokens, a Connection field's list)
// asks Noted instead of looking each one up in the header map, a hash of
// the name per lookup, on every request. The comparison per distinct field name is a bit test of its
// length, and string compares only for a name as long as one of the set's.
type FieldSet struct {
	names []string // canonical
	lens  uint64   // bit n: a name of n bytes (n < 64)
	long  bool     // a name of 64 bytes or more
}

// NewFieldSet is the set of names (any case: kept in canonical form; at
// most 64, the first name bit 0 of what Noted reports).
func NewFieldSet(names ...string) *FieldSet {
	if len(names) > 64 {
		panic("h1: more than 64 noted fields")
	}
	f := &FieldSet{}
	for _, n := range names {
		n = http.CanonicalHeaderKey(n)
		f.names = append(f.names, n)
		if len(n) < 64 {
			f.lens |= 1 << len(n)
		} else {
			f.long = true
		}
	}
	return f
}

// index is key's place among f's names (key is canonical), or -1.
func (f *FieldSet) index(key string) int {
	if len(key) < 64 {
		if f.lens>>len(key)&1 == 0 {
			return -1
		}
	} else if !f.long {
		return -1
	}
	for i, n := range f.names {
		if n == key {
			return i
		}
	}
	return -1
}

// Noted reports which of set's names came in the head of the request w
// answers (bit i: set's i-th name), when w is this package's response and
// set the very one its server notes (Server.Noted, or its Handler's
// NotedFields). ok is false when it cannot tell (another server's writer,
// a wrapper, another set): the caller then looks the names up itself.
// What the handler adds to the request's header map afterwards is not
// noted.
func Noted(w http.ResponseWriter, set *FieldSet) (came uint64, ok bool) {
	rw, ok := w.(*response)
	if !ok || set == nil || rw.ended || rw.c.srv.noted != set {
		return 0, false
	}
	return rw.c.req.noted, true
}
