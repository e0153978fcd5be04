package wsproxy

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeWriteTimeout bounds writing the 101 to the client.
const handshakeWriteTimeout = 10 * time.Second

func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(wsGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
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
	if v := r.Header.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.TrimSpace(v[0]) != "13" {
		return "", &errHandshake{fmt.Sprintf("unsupported Sec-WebSocket-Version %q (only 13 is supported)", strings.Join(v, ", "))}
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) != 1 {
		return "", &errHandshake{"exactly one Sec-WebSocket-Key is required"}
	}
	key := strings.TrimSpace(keys[0])
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 16 {
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
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "WebSocket upgrade impossible on this connection", http.StatusInternalServerError)
		return nil, fmt.Errorf("hijack: %w", err)
	}
	// Bytes the client sent after its request (its first frames) are in
	// net/http's reader; take them and drop the bufio.ReadWriter.
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		p, _ := brw.Reader.Peek(n)
		pending = bytes.Clone(p)
	}

	var b bytes.Buffer
	b.Grow(256)
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	b.WriteString(acceptKey(key))
	b.WriteString("\r\n")
	if subprotocol != "" {
		b.WriteString("Sec-WebSocket-Protocol: ")
		b.WriteString(subprotocol)
		b.WriteString("\r\n")
	}
	writeExtraHeaders(&b, extra)
	b.WriteString("\r\n")
	// net/http may have left its read/write deadlines on the conn.
	_ = conn.SetDeadline(time.Time{})
	_ = conn.SetWriteDeadline(time.Now().Add(handshakeWriteTimeout))
	if _, err := conn.Write(b.Bytes()); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("writing the 101: %w", err)
	}
	_ = conn.SetWriteDeadline(time.Time{})
	return &Conn{conn: conn, pending: pending, subprotocol: subprotocol}, nil
}

// writeExtraHeaders writes h, minus the headers the handshake writes itself
// and hop-by-hop ones, as header lines (values with newlines sanitized by
// http.Header.Write; invalid names skipped).
func writeExtraHeaders(b *bytes.Buffer, h http.Header) {
	if len(h) == 0 {
		return
	}
	out := make(http.Header, len(h))
	for k, v := range h {
		if !Forwardable(k) || !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		out[k] = v
	}
	_ = out.Write(b)
}

// HeaderHasToken reports whether a comma-separated list in header name of h
// holds token (case-insensitive), as Connection: keep-alive, Upgrade does.
func HeaderHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for _, t := range strings.Split(v, ",") {
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
func Forwardable(k string) bool { return !hopHeaders[k] && !handshakeHeaders[k] }

var hopHeaders = map[string]bool{
	"Connection": true, "Proxy-Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
	"Content-Length": true,
}

var handshakeHeaders = map[string]bool{
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true,
	"Sec-Websocket-Protocol": true, "Sec-Websocket-Accept": true, "Host": true,
}

// OfferedSubprotocols lists the client's Sec-WebSocket-Protocol offer, which
// the gateway passes on to the backend; the client then gets the backend's
// choice.
func OfferedSubprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
