// Package wire holds the HTTP/1.1 syntax rules (RFC 9110, RFC 9112) that
// tollgate's front server (gateway/h1) and its backend client
// (gateway/upstream) both apply, so that a request and a response are held
// to the same strict reading: lengths, chunk sizes, field values,
// whitespace. Each works on a string or a byte slice without converting.
package wire

import (
	"bufio"
	"encoding/binary"
	"io"
	"net/textproto"
	"strings"
	"unsafe"
)

// SameMap reports whether a and b are the same header map, not maps of
// equal contents: how the backend client (upstream) and the WebSocket
// dial (wsproxy) know that the map they are given is the very one whose
// fields the gateway checked already. (An http.Header is passed as it is.)
func SameMap(a, b map[string][]string) bool {
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
}

// HopByHop reports whether a field name in canonical form is one of the
// hop-by-hop fields a proxy never forwards (RFC 9110 §7.6.1, and the ones
// net/http/httputil's ReverseProxy drops): Connection, Proxy-Connection,
// Keep-Alive, Proxy-Authenticate, Proxy-Authorization, Te, Trailer,
// Transfer-Encoding, Upgrade. The gateway's own list (isHopHeader) is
// this one and Content-Length; the backend client notes these in an answer
// as it reads it (upstream.HopByHopFree).
func HopByHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// TrimOWS removes optional whitespace (SP, HTAB) around s (RFC 9110 §5.6.3).
func TrimOWS[T ~string | ~[]byte](s T) T {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// ValidFieldValue reports whether s holds no control byte but HTAB: no CR,
// LF, NUL or DEL (RFC 9110 §5.5), which is what lets a value split a
// message.
func ValidFieldValue[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ValidTarget reports whether a request target holds no byte at or below
// SP and no DEL, any of which would end or split the request line. It looks
// at eight bytes a step while no word holds such a byte, then byte by byte
// from the first one that does (or the last short one): byte by byte, a
// target cost about 8 instructions a byte in h1's parse and again in the
// backend client's head. ValidTargetBytes is small enough to be inlined;
// this form, with its eight byte loads, is not.
func ValidTarget(s string) bool {
	for len(s) >= 8 {
		_ = s[7]
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if targetStop(w) {
			break
		}
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// ValidTargetBytes is ValidTarget for a target written into a buffer.
func ValidTargetBytes(b []byte) bool {
	for len(b) >= 8 {
		if targetStop(binary.LittleEndian.Uint64(b)) {
			break
		}
		b = b[8:]
	}
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// targetStop reports whether a word holds a byte at or below SP (0x20) or a
// DEL: the first term is set exactly when some byte is below 0x21, the
// second when some byte of w^0x7f7f... is zero.
func targetStop(w uint64) bool {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	return (w-0x21*ones)&^w&high != 0 || (w^0x7f*ones-ones)&^(w^0x7f*ones)&high != 0
}

// ParseLength parses a Content-Length value: 1 to 18 decimal digits, no
// sign, no whitespace, no list (so it cannot overflow).
func ParseLength[T ~string | ~[]byte](s T) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// ParseChunkSize parses a chunk-size line without its CRLF: 1 to 15 hex
// digits (no sign, prefix or leading whitespace), then either trailing
// whitespace or ";" with extensions, which are checked for control bytes
// and otherwise ignored (RFC 9112 §7.1.1). Whitespace before the ";" (the
// grammar's BWS) is refused, as net/http refuses it: two readers that
// disagree on a chunk line could frame the body differently.
func ParseChunkSize[T ~string | ~[]byte](line T) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto ext
		}
		if i >= 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
ext:
	if i == 0 {
		return 0, false
	}
	rest := line[i:]
	if len(rest) > 0 && rest[0] == ';' {
		if !ValidFieldValue(rest) {
			return 0, false
		}
		return n, true
	}
	if len(TrimOWS(rest)) > 0 {
		return 0, false // anything but trailing whitespace
	}
	return n, true
}

// ReadChunkEnd reads the CRLF that ends a chunk's data (RFC 9112 §7.1):
// exactly CR then LF, since a reader that took a bare LF here would frame
// the stream differently from one that did not. ok is false for any other
// two bytes; an end of input is io.ErrUnexpectedEOF.
func ReadChunkEnd(br *bufio.Reader) (ok bool, err error) {
	c1, err := br.ReadByte()
	if err == nil {
		var c2 byte
		if c2, err = br.ReadByte(); err == nil {
			return c1 == '\r' && c2 == '\n', nil
		}
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return false, err
}

// CanonicalKey is textproto's canonical form of a header name without an
// allocation when name is canonical already (a substring of a parsed head
// stays one) or a common name in another case.
func CanonicalKey(name string) string {
	if isCanonical(name) {
		return name
	}
	if k, ok := commonKeys[name]; ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// CanonicalKeyBytes is CanonicalKey for a name read into a buffer: common
// names cost no allocation, others one string.
func CanonicalKeyBytes(name []byte) string {
	// The names nearly every answer carries, as servers write them:
	// compared without the map's hashing (a switch on string(name)
	// allocates nothing). The map's answer for each (TestAnswerKeys).
	switch string(name) {
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Date":
		return "Date"
	case "Server":
		return "Server"
	case "Connection":
		return "Connection"
	case "Transfer-Encoding":
		return "Transfer-Encoding"
	}
	if k, ok := commonKeys[string(name)]; ok {
		return k
	}
	if isCanonical(name) {
		return string(name)
	}
	return textproto.CanonicalMIMEHeaderKey(string(name))
}

// isCanonical reports whether name is in canonical form already: each
// letter after the start or a '-' upper case, the others lower case.
func isCanonical[T ~string | ~[]byte](name T) bool {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// commonKeys maps the header names seen most, canonical, lower case and as
// usually written, to their canonical form.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Accept-Ranges", "Age",
		"Authorization", "Cache-Control", "Connection", "Content-Encoding", "Content-Language",
		"Content-Length", "Content-Type", "Cookie", "Date", "Etag", "Expires", "Host", "If-None-Match",
		"Keep-Alive", "Last-Modified", "Location", "Origin", "Referer", "Server", "Set-Cookie", "Trailer",
		"Transfer-Encoding", "Upgrade", "User-Agent", "Vary", "Via", "Www-Authenticate", "Retry-After",
		"Access-Control-Allow-Origin", "X-Request-Id", "X-Forwarded-For", "Strict-Transport-Security",
		"X-Content-Type-Options", "X-Frame-Options", "Link", "Traceparent"} {
		m[k] = k
		m[strings.ToLower(k)] = k
	}
	// Names as they are usually written, whose canonical form differs by
	// more than case at a word's start: every WebSocket handshake carries
	// two or three of the first ones.
	for _, k := range []string{"Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol",
		"Sec-WebSocket-Extensions", "Sec-WebSocket-Accept", "ETag", "WWW-Authenticate", "X-Request-ID",
		"X-Correlation-ID", "Content-MD5", "DNT", "X-XSS-Protection"} {
		m[k] = textproto.CanonicalMIMEHeaderKey(k)
		m[strings.ToLower(k)] = m[k]
	}
	return m
}()

// SmallBody is the largest request body of known length the backend
// client (gateway/upstream) writes with the head in one write; a larger
// one, or one of unknown length (chunked), is written by a goroutine while
// the response is read. The front server (gateway/h1) takes a connection
// off its event loop for a body past it, since a loop task cannot read its
// client from that goroutine.
const SmallBody = 64 << 10
