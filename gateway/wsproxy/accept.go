package wsproxy

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeWriteTimeout bounds writing the 101 to the client.
const handshakeWriteTimeout = 10 * time.Second

// acceptLen is the length of a Sec-WebSocket-Accept value: a SHA-1 in
// base64.
const acceptLen = 28

// appendAccept appends the Sec-WebSocket-Accept value for key to dst,
// without allocating (keys are 24 bytes; a longer one costs one buffer).
func appendAccept(dst []byte, key string) []byte {
	sum := acceptSum(key)
	return appendAcceptSum(dst, &sum)
}

// acceptSum is the SHA-1 a Sec-WebSocket-Accept for key is the base64 of.
func acceptSum(key string) [sha1.Size]byte {
	var in [64]byte
	return sha1.Sum(append(append(in[:0], key...), wsGUID...))
}

// appendAcceptSum appends the Sec-WebSocket-Accept value of sum.
func appendAcceptSum(dst []byte, sum *[sha1.Size]byte) []byte {
	var out [acceptLen]byte
	base64.StdEncoding.Encode(out[:], sum[:])
	return append(dst, out[:]...)
}

// ClientKey is a client's Sec-WebSocket-Key (Key, as CheckRequest
// returned it) that its backend handshake may send on (Dialer.DialFor)
// and its 101 answers (UpgradeFor). When the dial sent it, the dial keeps
// the SHA-1 its accept is the base64 of, and the client's 101 takes it
// instead of hashing the key again. Kept by the caller for one handshake
// (a local variable: no allocation); the zero value, or one whose key the
// dial did not send, makes UpgradeFor hash Key as Upgrade does.
type ClientKey struct {
	Key  string
	sum  [sha1.Size]byte
	sent bool // the dial sent Key and checked the backend's accept of it: sum is Key's
}

// validKey reports whether k is a Sec-WebSocket-Key a backend must take:
// 16 bytes in base64, 24 characters, the last two "=", and the four bits
// past the 16 bytes zero (what a strict decoder asks). checkKey takes a
// key with those bits set (as net/http's and most servers' decoders do);
// such a key is not sent on (DialFor), as a strict backend may refuse it.
func validKey(k string) bool {
	if len(k) != 24 || k[22] != '=' || k[23] != '=' {
		return false
	}
	for i := 0; i < 22; i++ {
		c := k[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	switch k[21] { // its low four bits are past the 16 bytes
	case 'A', 'Q', 'g', 'w':
		return true
	}
	return false
}

func acceptKey(key string) string {
	var b [acceptLen]byte
	return string(appendAccept(b[:0], key))
}

// errHandshake describes a client handshake the gateway refuses (400).
type errHandshake struct{ msg string }

func (e *errHandshake) Error() string { return "WebSocket handshake: " + e.msg }

// CheckRequest validates r as a WebSocket upgrade request and
// returns its Sec-WebSocket-Key.
func CheckRequest(r *http.Request) (string, error) {
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) {
		return "", &errHandshake{"an upgrade must be an HTTP/1.1 GET"}
	}
	if !HeaderHasToken(r.Header, "Connection", "upgrade") {
		return "", &errHandshake{"Connection header does not contain upgrade"}
	}
	if !HeaderHasToken(r.Header, "Upgrade", "websocket") {
		return "", &errHandshake{"Upgrade header does not contain websocket"}
	}
	return checkKey(r)
}

// CheckUpgrade is CheckRequest for a GET whose Connection and Upgrade
// headers its caller found to hold "upgrade" and "websocket" already (the
// gateway's isUpgrade): the protocol version, Sec-WebSocket-Version and
// the key, without walking the two token lists again.
func CheckUpgrade(r *http.Request) (string, error) {
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) {
		return "", &errHandshake{"an upgrade must be an HTTP/1.1 GET"}
	}
	return checkKey(r)
}

// checkKey is CheckRequest's check of Sec-WebSocket-Version and the key.
func checkKey(r *http.Request) (string, error) {
	// Canonical keys (net/http canonicalised the request's): Values would
	// canonicalise "Sec-WebSocket-…" into a new string on every call.
	if v := r.Header["Sec-Websocket-Version"]; len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return "", &errHandshake{fmt.Sprintf("unsupported Sec-WebSocket-Version %q (only 13 is supported)", strings.Join(v, ", "))}
	}
	keys := r.Header["Sec-Websocket-Key"]
	if len(keys) != 1 {
		return "", &errHandshake{"exactly one Sec-WebSocket-Key is required"}
	}
	key := strings.TrimSpace(keys[0])
	var kb [18]byte // 16 bytes, and room to see a longer key
	if len(key) != 24 {
		return "", &errHandshake{"Sec-WebSocket-Key must be 16 bytes in base64"}
	}
	if n, err := base64.StdEncoding.Decode(kb[:], []byte(key)); err != nil || n != 16 {
		return "", &errHandshake{"Sec-WebSocket-Key must be 16 bytes in base64"}
	}
	return key, nil
}

// Upgrade upgrades the client of a request already validated by
// CheckRequest, whose Sec-WebSocket-Key is key: it hijacks the
// connection and writes the 101 with subprotocol (if not "") and the extra
// headers (the policy-recorded response headers). Bytes the client sent
// after its request are relayed first.
func Upgrade(w http.ResponseWriter, key, subprotocol string, extra http.Header) (*Conn, error) {
	return UpgradeIn(nil, nil, nil, w, key, subprotocol, extra)
}

// UpgradeIn is Upgrade with room for the client's Conn, when rl, the
// relayer its session is for, lets go of the Conn once its Start has taken
// it with backend (the event loop keeps both sockets, not their Conns):
// room may then be part of an object that lives only as long as the
// handshake. Otherwise (a relay that keeps the Conn for the session, a
// connection the event loop cannot take, no room) the Conn is allocated,
// as Upgrade's.
func UpgradeIn(room *Conn, rl Relayer, backend *Conn, w http.ResponseWriter, key, subprotocol string, extra http.Header) (*Conn, error) {
	return upgradeIn(room, rl, backend, w, key, nil, subprotocol, extra)
}

// UpgradeFor is UpgradeIn for a client whose key ck holds: its accept is
// the hash the backend dial kept when it sent the key on (DialFor), else
// ck.Key's, hashed here.
func UpgradeFor(room *Conn, rl Relayer, backend *Conn, w http.ResponseWriter, ck *ClientKey, subprotocol string, extra http.Header) (*Conn, error) {
	var sum *[sha1.Size]byte
	if ck.sent {
		sum = &ck.sum
	}
	return upgradeIn(room, rl, backend, w, ck.Key, sum, subprotocol, extra)
}

// upgradeIn is UpgradeIn; sum, if not nil, is key's accept's SHA-1.
func upgradeIn(room *Conn, rl Relayer, backend *Conn, w http.ResponseWriter, key string, sum *[sha1.Size]byte, subprotocol string, extra http.Header) (*Conn, error) {
	conn, pending, err := Hijack(w)
	if err != nil {
		http.Error(w, "WebSocket upgrade impossible on this connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("hijack: %w", err)
	}

	// The whole 101 in one write, built in a pooled buffer.
	bp := getHeadBuf()
	defer putHeadBuf(bp)
	b := append((*bp)[:0], "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	if sum != nil {
		b = appendAcceptSum(b, sum) // (the dial hashed key: DialFor)
	} else {
		b = appendAccept(b, key)
	}
	b = append(b, "\r\n"...)
	if subprotocol != "" {
		b = append(append(append(b, "Sec-WebSocket-Protocol: "...), subprotocol...), "\r\n"...)
	}
	b = appendExtraHeaders(b, extra)
	b = append(b, "\r\n"...)
	*bp = b
	// net/http may have left its read/write deadlines on the conn.
	_ = conn.SetDeadline(time.Time{})
	_ = conn.SetWriteDeadline(time.Now().Add(handshakeWriteTimeout))
	if _, err := conn.Write(b); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("writing the 101: %w", err)
	}
	_ = conn.SetWriteDeadline(time.Time{})
	c := room
	if c == nil || backend == nil || !loopTakes(rl, conn, backend.conn) {
		c = new(Conn)
	}
	*c = Conn{conn: conn, pending: pending, subprotocol: subprotocol}
	return c, nil
}

// RawHijacker is a ResponseWriter that hands over its connection with a
// copy of the bytes read past the request, without the bufio.ReadWriter
// http.Hijacker must return (gateway/h1's writer: its buffers then go back
// to its pool instead of being lost to every upgrade).
type RawHijacker interface {
	HijackRaw() (net.Conn, []byte, error)
}

// Hijack takes w's connection and the bytes the client sent after its
// request (its first frames): with HijackRaw when w has it, else with
// http.ResponseController's Hijack, copying what its reader holds and
// dropping the bufio.ReadWriter.
func Hijack(w http.ResponseWriter) (net.Conn, []byte, error) {
	if rh, ok := w.(RawHijacker); ok {
		return rh.HijackRaw()
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, nil, err
	}
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		pending = bytes.Clone(p)
	}
	return conn, pending, nil
}

// appendExtraHeaders appends h, minus the headers the handshake writes
// itself and hop-by-hop ones, as header lines to dst, in sorted order, as
// http.Header.Write writes them (newlines in values become spaces, values
// are trimmed; invalid names are skipped). It allocates nothing for up to
// 16 headers.
func appendExtraHeaders(dst []byte, h http.Header) []byte {
	return appendExtraHeadersChecked(dst, h, false)
}

// appendExtraHeadersChecked is appendExtraHeaders; checked: every name of
// h is a token and no value holds a CR or LF (the caller checked them,
// Checked), so neither is looked for again. The result is the same.
func appendExtraHeadersChecked(dst []byte, h http.Header, checked bool) []byte {
	if len(h) == 0 {
		return dst
	}
	keys := make([]string, 0, 16)
	for k := range h {
		if !Forwardable(k) || !checked && !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			dst = append(append(dst, k...), ": "...)
			if checked {
				dst = append(dst, textproto.TrimString(v)...) // (no CR or LF to replace)
			} else {
				dst = appendHeaderValue(dst, v)
			}
			dst = append(dst, "\r\n"...)
		}
	}
	return dst
}

// appendHeaderValue appends v with CR and LF replaced by spaces and
// surrounding ASCII space and tab trimmed (http.Header.Write's rules).
func appendHeaderValue(dst []byte, v string) []byte {
	v = textproto.TrimString(v)
	if strings.IndexByte(v, '\r') < 0 && strings.IndexByte(v, '\n') < 0 {
		return append(dst, v...) // (the usual value: nothing to replace, trimmed already)
	}
	start := len(dst)
	dst = append(dst, v...)
	for i := start; i < len(dst); i++ {
		if dst[i] == '\r' || dst[i] == '\n' {
			dst[i] = ' '
		}
	}
	// Header.Write replaces newlines before trimming: a value ending in
	// "x\r\n " loses the spaces those became too.
	for len(dst) > start && (dst[len(dst)-1] == ' ' || dst[len(dst)-1] == '\t') {
		dst = dst[:len(dst)-1]
	}
	i := start
	for i < len(dst) && (dst[i] == ' ' || dst[i] == '\t') {
		i++
	}
	if i > start {
		dst = append(dst[:start], dst[i:]...)
	}
	return dst
}

// headBufs holds the buffers handshake heads are built and read in.
var headBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

func getHeadBuf() *[]byte { return headBufs.Get().(*[]byte) }

// putHeadBuf returns a buffer to the pool unless it grew past 16 KiB (a
// huge head should not pin its memory).
func putHeadBuf(b *[]byte) {
	if cap(*b) <= 16<<10 {
		*b = (*b)[:0]
		headBufs.Put(b)
	}
}

// HeaderHasToken reports whether a comma-separated list in header name of h
// holds token (case-insensitive), as Connection: keep-alive, Upgrade does.
func HeaderHasToken(h http.Header, name, token string) bool {
	for i := 0; i < len(token); i++ {
		if token[i] >= 0x80 { // (no caller's: tokenIn asks for ASCII)
			return headerHasTokenFold(h, name, token)
		}
	}
	for _, v := range h[name] {
		if tokenIn(v, token) {
			return true
		}
	}
	return false
}

// headerHasTokenFold is HeaderHasToken for any token: strings.EqualFold
// on each trimmed element.
func headerHasTokenFold(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// Forwardable reports whether a header (canonical name) may be passed on
// across a WebSocket handshake: hop-by-hop headers (RFC 9110 7.6.1) and the
// handshake's own headers never are; each leg makes its own handshake.
// A string switch: it runs for every header of every backend handshake,
// where two map lookups (a hash of the name each) were about 200
// instructions a header.
func Forwardable(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te",
		"Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", // hop-by-hop
		"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol",
		"Sec-Websocket-Accept", "Host": // the handshake's own
		return false
	}
	return true
}

// OfferedSubprotocols lists the client's Sec-WebSocket-Protocol offer, which
// the gateway passes on to the backend; the client then gets the backend's
// choice.
func OfferedSubprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header["Sec-Websocket-Protocol"] {
		for v != "" {
			var p string
			p, v, _ = strings.Cut(v, ",")
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
