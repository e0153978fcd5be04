package upstream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/net/http/httpguts"

	"tollgate/gateway/internal/wire"
)

// Limits of the response parser.
const (
	// MaxHeadBytes bounds a response head (status line and header fields,
	// all 1xx heads before it included), as the WebSocket dial's.
	MaxHeadBytes = 1 << 20
	// maxTrailerBytes bounds a chunked body's trailer section.
	maxTrailerBytes = 64 << 10
	// max1xx bounds the informational responses before the final one.
	max1xx = 5
	// maxChunkLine bounds a chunk-size line (size and extensions).
	maxChunkLine = 4096
)

// ProtocolError is a response that breaks HTTP/1.1's syntax or framing
// rules. The connection it came on is closed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "upstream: malformed response: " + e.Msg }

func protoErr(msg string) error { return &ProtocolError{Msg: msg} }

// ErrHeadTooLarge is a response head over MaxHeadBytes.
var ErrHeadTooLarge = errors.New("upstream: the response head is larger than 1 MiB")

// framing is how a response body is delimited (RFC 9112 6.3).
type framing uint8

const (
	bodyNone    framing = iota // HEAD, 1xx, 204, 304
	bodyLength                 // Content-Length
	bodyChunked                // Transfer-Encoding: chunked
	bodyClose                  // until the backend closes
)

// head is a parsed response head.
type head struct {
	resp    *http.Response
	length  int64          // bodyLength: the body's length
	fields  unsafe.Pointer // the header map as read (HopByHopFree)
	names   int32          // how many names it had
	framing framing
	reuse   bool // the connection may carry another request after the body
	hopFree bool // no hop-by-hop field was read (wire.HopByHop)
	// stream: the first Content-Type read names an event stream
	// (text/event-stream, any case: EventStream).
	stream bool
}

// mapPointer is the identity of a header map (two maps are the same map
// when they are the same pointer).
func mapPointer(h http.Header) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&h)) }

// HopByHopFree reports whether res is a final answer this client read
// whose header had no hop-by-hop field (wire.HopByHop; Content-Length is
// not one) and still holds the names it was read with: the same map in
// the same response, with as many names (a field added since makes it
// false). A proxy then has none to strip and can skip its walk of the map
// (gateway/http.go). An answer without a body (HEAD, 204, 304), from
// another client, or one a wrapper rebuilt: false.
func HopByHopFree(res *http.Response) bool {
	b, ok := res.Body.(*body)
	if !ok {
		return false
	}
	hd := &b.hd
	return hd.resp == res && hd.hopFree && mapPointer(res.Header) == hd.fields && len(res.Header) == int(hd.names)
}

// EventStream reports, for res, a final answer with a body this client
// read and whose header is still the map it was read into with as many
// names (as HopByHopFree), whether the first Content-Type it read names
// an event stream ("text/event-stream" in any case, parameters after
// it), as seen while the head was read: ok false otherwise. A caller
// that knows no one changed a value in the map since (gateway/http.go:
// no policy saw the answer) need not look Content-Type up.
func EventStream(res *http.Response) (stream, ok bool) {
	b, isBody := res.Body.(*body)
	if !isBody {
		return false, false
	}
	hd := &b.hd
	if hd.resp != res || mapPointer(res.Header) != hd.fields || len(res.Header) != int(hd.names) {
		return false, false
	}
	return hd.stream, true
}

// eventStreamType is the media type EventStream looks for.
const eventStreamType = "text/event-stream"

// isEventStreamValue: v starts with eventStreamType in any case (the
// gateway's isEventStream of the same value).
func isEventStreamValue(v []byte) bool {
	return len(v) >= len(eventStreamType) && strings.EqualFold(string(v[:len(eventStreamType)]), eventStreamType)
}

// Answered reports whether res is this client's answer to req, read with
// a body (a final answer: not HEAD, 204 or 304): then req went through
// this client's RoundTrip, which read req.Header only while it laid out
// the head, before anything was sent, and keeps no reference to the map.
// A caller that made the map can reuse it once it is done with res
// (gateway/http.go), unless something else it sent req through keeps it.
// An answer a wrapper rebuilt or gave another body: false.
func Answered(res *http.Response, req *http.Request) bool {
	b, ok := res.Body.(*body)
	return ok && b.hd.resp == res && res.Request == req
}

// readLine reads one line ending in LF (a CR before it is dropped),
// counting its bytes against *budget.
func readLine(br *bufio.Reader, budget *int, tooLarge error) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(buf) > *budget {
				return nil, tooLarge
			}
			line, err = br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	*budget -= len(line)
	if *budget < 0 {
		return nil, tooLarge
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// heldLines reads lines as readLine does, but cuts those br's buffer
// holds already straight out of it, without a ReadSlice each (an answer's
// head usually comes in one read); past the last whole line held it reads
// on with readLine. A line is valid until the next call, as readLine's.
// done gives br the bytes of the lines cut: br must not be read otherwise
// before it. What was cut is an offset, not the rest of held: a slice
// stored through l at each line cost a write barrier.
type heldLines struct {
	br   *bufio.Reader
	held []byte // what br held when the lines were started (or nil)
	cut  int    // the bytes of held cut into lines, not yet discarded
}

func heldLinesOf(br *bufio.Reader) heldLines {
	held, _ := br.Peek(br.Buffered()) // no read: Peek of what is held
	return heldLines{br: br, held: held}
}

func (l *heldLines) next(budget *int, tooLarge error) ([]byte, error) {
	rest := l.held[l.cut:]
	if k := bytes.IndexByte(rest, '\n'); k >= 0 {
		line := rest[:k]
		l.cut += k + 1
		if *budget -= k + 1; *budget < 0 {
			return nil, tooLarge
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, nil
	}
	l.done()
	l.held = nil // the read below may move br's buffer under it
	return readLine(l.br, budget, tooLarge)
}

// done discards the lines cut from br's buffer; held is no longer
// looked at.
func (l *heldLines) done() {
	if l.cut > 0 {
		l.br.Discard(l.cut)
		l.held, l.cut = nil, 0
	}
}

// finalSlot is room for a round trip's final response, the slice headers
// of its first fields' values and the values' bytes, inside the allocation
// its body makes anyway. The body is never reused, so the bytes under the
// values' string never change (a policy, a cache may keep the strings).
type finalSlot struct {
	resp http.Response
	vals [8]string
	// raw holds the values when they fit: a typical backend's (Date,
	// Content-Type, Content-Length, Server, an ETag) do. 128 bytes keep
	// the body in the 576-byte size class.
	raw [128]byte
	// spare is a released answer's header map, cleared (Release): the
	// next final head is read into it.
	spare http.Header
}

// readHead reads one response head (a 1xx one included) for req. A final
// head (2xx and above) is read into the room `into` gives, when there is
// one: the round trip's body holds it (finalSlot), so the response and its
// values' array cost no allocations of their own. A 1xx head gets its own,
// as a trace callback may keep its header. into's response must be the
// zero one (its body is new, or was reset by Release, and holds one final
// head): the status line's fields are set in it one by one, not copied as
// a whole response, which cost a bulk write barrier over the struct's
// pointers while the collector marked.
func readHead(br *bufio.Reader, req *http.Request, budget *int, hd *head, into *finalSlot) error {
	lines := heldLinesOf(br)
	line, err := lines.next(budget, ErrHeadTooLarge)
	if err != nil {
		return err
	}
	status := http.Response{Request: req, ProtoMajor: 1}
	if err := parseStatusLine(line, &status); err != nil {
		return err
	}
	var resp *http.Response
	var vbuf []string
	var room []byte
	var spare http.Header
	if status.StatusCode >= 200 && into != nil {
		resp, vbuf, room, spare = &into.resp, into.vals[:0], into.raw[:], into.spare
		into.spare = nil
	} else {
		resp = new(http.Response)
	}
	resp.Status, resp.StatusCode, resp.Proto = status.Status, status.StatusCode, status.Proto
	resp.ProtoMajor, resp.ProtoMinor, resp.Request = 1, status.ProtoMinor, req
	h, seen, cl, err := readFields(&lines, budget, ErrHeadTooLarge, 8, vbuf, room, spare)
	if err != nil {
		return err
	}
	resp.Header = h
	// Field by field, as resp's: hd may hold a 1xx head's, whose framing
	// and length a final head must not keep.
	hd.resp, hd.fields, hd.names, hd.hopFree = resp, mapPointer(h), int32(len(h)), seen&hasHopByHop == 0
	hd.stream = seen&hasEventStream != 0
	hd.length, hd.framing, hd.reuse = 0, bodyNone, false
	if resp.StatusCode < 200 {
		return nil
	}
	return frame(hd, req, seen, cl)
}

// parseStatusLine parses "HTTP/1.x NNN reason".
func parseStatusLine(line []byte, resp *http.Response) error {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') || line[8] != ' ' {
		return protoErr("bad status line " + strconv.Quote(clip(line)))
	}
	code := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return protoErr("bad status code in " + strconv.Quote(clip(line)))
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code > 599 {
		return protoErr("bad status code in " + strconv.Quote(clip(line)))
	}
	var reason []byte
	if len(line) > 12 {
		if line[12] != ' ' {
			return protoErr("bad status line " + strconv.Quote(clip(line)))
		}
		reason = line[13:]
		if !wire.ValidFieldValue(reason) {
			return protoErr("bad reason phrase in the status line")
		}
	}
	resp.StatusCode = code
	if line[7] == '1' {
		resp.Proto, resp.ProtoMinor = "HTTP/1.1", 1
	} else {
		resp.Proto, resp.ProtoMinor = "HTTP/1.0", 0
	}
	if text := http.StatusText(code); string(reason) == text && code < len(statusLines) && statusLines[code] != "" {
		resp.Status = statusLines[code]
	} else if len(line) == 12 {
		resp.Status = string(line[9:12]) // no reason, as net/http
	} else {
		resp.Status = string(line[9:12]) + " " + string(reason)
	}
	return nil
}

// statusLines are "200 OK" and the others, made once.
var statusLines = func() (s [600]string) {
	for code := range s {
		if t := http.StatusText(code); t != "" {
			s[code] = strconv.Itoa(code) + " " + t
		}
	}
	return s
}()

// readFields reads header fields up to the empty line: names are tokens
// followed directly by ':', values hold no control characters, and a
// line folded onto the previous one (obs-fold) is refused (RFC 9112 5).
//
// The values are copied into one buffer (room, or moreRaw's array) and
// become substrings of one string over it, so a head costs the same few
// allocations however many fields it has (a string per value was 4 of the
// 74 allocations of a proxied REST request, BenchmarkRESTRequest).
// vbuf, when it has room for every field, holds the values' slice headers
// instead of a new array, and room, when the values fit, their bytes
// instead of an array of their own: the caller must never write room
// again.
// framingFields says which of the fields frame reads a head has, as
// readFields saw them: frame looks up only those (a map lookup each).
type framingFields uint8

const (
	hasConnection framingFields = 1 << iota
	hasTransferEncoding
	hasContentLength
	hasHopByHop // any hop-by-hop field (wire.HopByHop): HopByHopFree
	hasContentType
	hasEventStream // the first Content-Type names an event stream: EventStream
)

func readFields(lines *heldLines, budget *int, tooLarge error, hint int, vbuf []string, room []byte, spare http.Header) (http.Header, framingFields, []string, error) {
	var seen framingFields
	clAt := -1 // the Content-Length field's index in fields
	type field struct {
		key        string
		start, end int32 // the budget (MaxHeadBytes at most) bounds them
	}
	var fieldsArr [16]field
	fields := fieldsArr[:0]
	// The values' bytes go straight into room (no copy from a buffer of
	// our own, which cost zeroing 512 bytes and a copy per head); past
	// it, or without one, into an array moreRaw makes, which the values
	// then point into.
	raw := room[:0]
	dup := false // a field name occurs twice (or the fields left the stack)
	for {
		line, err := lines.next(budget, tooLarge)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, nil, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, 0, nil, protoErr("folded header line (obs-fold)")
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 || !validName(line[:i]) {
			return nil, 0, nil, protoErr("bad header line " + strconv.Quote(clip(line)))
		}
		v := wire.TrimOWS(line[i+1:])
		if !wire.ValidFieldValue(v) {
			return nil, 0, nil, protoErr("bad value in header " + strconv.Quote(clip(line[:i])))
		}
		// The key first: line is only valid until the next read.
		key := wire.CanonicalKeyBytes(line[:i])
		switch key {
		case "Connection":
			seen |= hasConnection | hasHopByHop
		case "Transfer-Encoding":
			seen |= hasTransferEncoding | hasHopByHop
		case "Content-Length":
			seen |= hasContentLength
			clAt = len(fields)
		case "Content-Type":
			if seen&hasContentType == 0 { // the first one is the one a lookup finds
				seen |= hasContentType
				if isEventStreamValue(v) {
					seen |= hasEventStream
				}
			}
		default:
			if wire.HopByHop(key) {
				seen |= hasHopByHop
			}
		}
		// A name seen before is appended to its values below; the usual
		// answer has none, and its names go into the map without a lookup
		// each. Past the stack's 16 fields, the map tells (no quadratic
		// scan of a long head).
		if !dup && len(fields) >= len(fieldsArr) {
			dup = true
		} else if !dup {
			for j := range fields {
				if fields[j].key == key {
					dup = true
					break
				}
			}
		}
		fields = append(fields, field{key, int32(len(raw)), int32(len(raw) + len(v))})
		if len(v) > cap(raw)-len(raw) {
			raw = moreRaw(raw, len(v))
		}
		raw = append(raw, v...)
	}
	lines.done()
	h := spare // empty (Release cleared it)
	if h == nil {
		h = make(http.Header, max(hint, len(fields)))
	}
	// raw is room or moreRaw's array, and is not written again.
	all := unsafe.String(unsafe.SliceData(raw), len(raw))
	var vals []string
	if len(fields) <= cap(vbuf) {
		vals = vbuf[:len(fields)]
	} else {
		vals = make([]string, len(fields))
	}
	for i, f := range fields {
		sv := all[f.start:f.end]
		if dup {
			if old, ok := h[f.key]; ok {
				h[f.key] = append(old, sv)
				continue
			}
		}
		vals[i] = sv
		h[f.key] = vals[i : i+1 : i+1]
	}
	// The Content-Length values, where frame looked them up: the field's
	// own slice when it came once (a repeat is in the map only).
	var cl []string
	if clAt >= 0 && !dup {
		cl = vals[clAt : clAt+1 : clAt+1]
	}
	return h, seen, cl, nil
}

// moreRaw is raw with room for n more bytes, in a new array: at least
// 512 bytes, twice raw's room past that. A head whose values fit in 512
// bytes costs this one allocation, as the string of them made before.
func moreRaw(raw []byte, n int) []byte {
	r := make([]byte, len(raw), max(512, 2*cap(raw), len(raw)+n))
	copy(r, raw)
	return r
}

// frame decides how the response body is delimited (RFC 9112 6.3) and
// whether the connection can be reused after it.
func frame(hd *head, req *http.Request, seen framingFields, clSeen []string) error {
	resp, h := hd.resp, hd.resp.Header
	keepAlive := resp.ProtoMinor == 1
	if seen&hasConnection != 0 {
		if v := h["Connection"]; hasToken(v, "close") {
			keepAlive = false
		} else if resp.ProtoMinor == 0 && hasToken(v, "keep-alive") {
			keepAlive = true
		}
	}
	if req.Close {
		keepAlive = false
	}
	code := resp.StatusCode
	hasBody := req.Method != http.MethodHead && code != http.StatusNoContent && code != http.StatusNotModified
	var te, cl []string
	hasTE, hasCL := seen&hasTransferEncoding != 0, seen&hasContentLength != 0
	if hasTE {
		te = h["Transfer-Encoding"]
	}
	if cl = clSeen; hasCL && cl == nil {
		cl = h["Content-Length"]
	}
	switch {
	case hasTE:
		if resp.ProtoMinor == 0 {
			return protoErr("Transfer-Encoding in an HTTP/1.0 response")
		}
		if !onlyChunked(te) {
			return protoErr("unsupported Transfer-Encoding " + strconv.Quote(clip([]byte(strings.Join(te, ", ")))))
		}
		delete(h, "Transfer-Encoding")
		if hasCL {
			// RFC 9112 6.3: chunked wins, and the connection is not
			// reused (a smuggling attempt, or a broken backend).
			delete(h, "Content-Length")
			keepAlive = false
		}
		resp.ContentLength = -1
		if hasBody {
			hd.framing = bodyChunked
			resp.TransferEncoding = []string{"chunked"}
			if err := declaredTrailers(resp); err != nil {
				return err
			}
		} else if req.Method != http.MethodHead {
			resp.ContentLength = 0
		}
	case hasCL:
		n, err := contentLength(cl)
		if err != nil {
			return err
		}
		if len(cl) > 1 || len(cl[0]) != decimalLen(n) { // "5, 5", "05", " 5": the canonical value
			h["Content-Length"] = []string{strconv.FormatInt(n, 10)}
		}
		switch {
		case hasBody:
			hd.framing, hd.length, resp.ContentLength = bodyLength, n, n
		case req.Method == http.MethodHead:
			resp.ContentLength = n
		}
	default:
		if hasBody {
			hd.framing = bodyClose
			keepAlive = false
			resp.ContentLength = -1
		} else if req.Method == http.MethodHead {
			resp.ContentLength = -1
		}
	}
	resp.Close = !keepAlive
	hd.reuse = keepAlive
	return nil
}

// decimalLen is len(strconv.FormatInt(n, 10)) for n >= 0, without
// making the string.
func decimalLen(n int64) int {
	l := 1
	for ; n >= 10; n /= 10 {
		l++
	}
	return l
}

// contentLength is the value of the Content-Length fields: a decimal
// number, repeated identically or not at all (RFC 9110 8.6).
func contentLength(vals []string) (int64, error) {
	if len(vals) == 1 && strings.IndexByte(vals[0], ',') < 0 {
		// The usual answer: one field, one value. contentLengthList's
		// reading of it without the split and its iterator.
		if m, ok := wire.ParseLength(wire.TrimOWS(vals[0])); ok {
			return m, nil
		}
		return 0, protoErr("bad Content-Length " + strconv.Quote(clip([]byte(vals[0]))))
	}
	return contentLengthList(vals)
}

// contentLengthList is contentLength for any number of fields and
// comma-separated values: every one must be the same length.
func contentLengthList(vals []string) (int64, error) {
	n := int64(-1)
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.Trim(part, " \t")
			m, ok := wire.ParseLength(part)
			if !ok {
				return 0, protoErr("bad Content-Length " + strconv.Quote(clip([]byte(v))))
			}
			if n >= 0 && m != n {
				return 0, protoErr("differing Content-Length values")
			}
			n = m
		}
	}
	return n, nil
}

// onlyChunked reports whether the Transfer-Encoding list is "chunked"
// alone: the only coding a proxy can undo without decoding content.
func onlyChunked(te []string) bool {
	n := 0
	for _, v := range te {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.Trim(part, " \t")
			if part == "" {
				continue
			}
			if !strings.EqualFold(part, "chunked") {
				return false
			}
			n++
		}
	}
	return n == 1
}

// declaredTrailers moves the Trailer field's names into resp.Trailer (with
// nil values, filled at the body's end), as net/http does: ReverseProxy
// announces them to its client.
func declaredTrailers(resp *http.Response) error {
	vals, ok := resp.Header["Trailer"]
	if !ok {
		return nil
	}
	delete(resp.Header, "Trailer")
	for _, v := range vals {
		for name := range strings.SplitSeq(v, ",") {
			name = strings.Trim(name, " \t")
			if name == "" {
				continue
			}
			if !httpguts.ValidHeaderFieldName(name) {
				return protoErr("bad Trailer name " + strconv.Quote(clip([]byte(name))))
			}
			key := textproto.CanonicalMIMEHeaderKey(name)
			if forbiddenTrailer(key) {
				continue
			}
			if resp.Trailer == nil {
				resp.Trailer = make(http.Header)
			}
			resp.Trailer[key] = nil
		}
	}
	return nil
}

// forbiddenTrailer names the fields a trailer must not carry: framing.
func forbiddenTrailer(key string) bool {
	switch key {
	case "Transfer-Encoding", "Content-Length", "Trailer", "Host":
		return true
	}
	return false
}

func hasToken(vals []string, tok string) bool {
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(part, " \t"), tok) {
				return true
			}
		}
	}
	return false
}

// validName: a header field name is a token (RFC 9110 5.1).
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return true
}

// clip shortens what an error quotes from a hostile response.
func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}
