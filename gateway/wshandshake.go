package gateway

// WebSocket handshakes (RFC 6455 section 4), both legs, done by hand so the
// relay gets bare net.Conns with no library state on them.
//
// Server side (acceptWebSocket): validate the client's upgrade request,
// hijack, write the 101 ourselves (with the policy-recorded response headers
// and the subprotocol the backend chose), and keep the bytes the client may
// already have sent after its request (they sit in net/http's bufio.Reader,
// which is dropped right after: the relay never reads through a bufio).
//
// Client side (dialBackend): plain TCP (or TLS for wss, certificate and host
// name verified) via the server's dialer, the GET upgrade request written by
// hand with the forwarded headers, the response read with a small
// bufio.Reader and http.ReadResponse. A refusal (any status but 101) is
// returned with its status, headers and first KiB of body so the gateway can
// pass it on to the client; a 101 is checked (Upgrade, Connection,
// Sec-WebSocket-Accept, subprotocol among those offered, no extension). Bytes
// the backend sent right after its 101 are kept for the relay.
//
// # No extensions
//
// Neither leg ever negotiates an extension (permessage-deflate in practice):
// the client's Sec-WebSocket-Extensions offer is not forwarded, the 101 to
// the client never carries one, and a backend that answers with one is
// refused. The relay forwards frames as they are, so both legs must share
// the same extension state, and "none" is the only state the gateway can
// guarantee on both without decompressing and recompressing every message
// (tens of KiB of flate state per connection and much CPU per message).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// wsGUID is the magic string of Sec-WebSocket-Accept (RFC 6455 1.3).
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeWriteTimeout bounds writing the 101 to the client.
const handshakeWriteTimeout = 10 * time.Second

func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(wsGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// WSConn is one leg of a proxied WebSocket connection after its handshake:
// the raw connection, the bytes already read from it past the handshake
// (to be relayed first), and whether frames the gateway itself writes on it
// must be masked (the backend leg: the gateway is its client).
type WSConn struct {
	conn        net.Conn
	pending     []byte
	mask        bool
	subprotocol string
}

// Subprotocol is the negotiated subprotocol ("" if none).
func (c *WSConn) Subprotocol() string { return c.subprotocol }

// Close closes the connection without a close handshake.
func (c *WSConn) Close() error { return c.conn.Close() }

// errHandshake describes a client handshake the gateway refuses (400).
type errHandshake struct{ msg string }

func (e *errHandshake) Error() string { return "WebSocket handshake: " + e.msg }

// checkClientHandshake validates r as a WebSocket upgrade request and
// returns its Sec-WebSocket-Key.
func checkClientHandshake(r *http.Request) (string, error) {
	if r.Method != http.MethodGet || !r.ProtoAtLeast(1, 1) {
		return "", &errHandshake{"an upgrade must be an HTTP/1.1 GET"}
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return "", &errHandshake{"Connection header does not contain upgrade"}
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
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

// upgradeClient upgrades the client of a request already validated by
// checkClientHandshake, whose Sec-WebSocket-Key is key: it hijacks the
// connection and writes the 101 with subprotocol (if not "") and the extra
// headers (the policy-recorded response headers). Bytes the client sent
// after its request are relayed first.
func upgradeClient(w http.ResponseWriter, key, subprotocol string, extra http.Header) (*WSConn, error) {
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
	return &WSConn{conn: conn, pending: pending, subprotocol: subprotocol}, nil
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
		if hopHeaders[k] || wsHandshakeHeaders[k] || !validHeaderName(k) {
			continue
		}
		out[k] = v
	}
	_ = out.Write(b)
}

// validHeaderName reports whether k is an RFC 9110 token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// backendDialer dials WebSocket backends.
type backendDialer struct {
	// dialContext opens the TCP connection (the server transport's
	// DialContext, or a net.Dialer's).
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// tlsConfig is the base TLS configuration for wss (may be nil).
	tlsConfig *tls.Config
}

func newBackendDialer(tr *http.Transport) *backendDialer {
	d := &backendDialer{}
	if tr != nil {
		d.dialContext = tr.DialContext
		d.tlsConfig = tr.TLSClientConfig
	}
	if d.dialContext == nil {
		nd := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		d.dialContext = nd.DialContext
	}
	return d
}

// errBackendHandshake is a backend handshake that did not succeed: a
// refusal (StatusCode != 101, Response set) or an invalid 101.
type errBackendHandshake struct {
	msg string
}

func (e *errBackendHandshake) Error() string { return e.msg }

// dial connects to the WebSocket backend at u (ws or wss), offering
// subprotocols, with header (the forwarded request headers, no handshake
// headers) on the upgrade request. ctx bounds the whole handshake.
//
// When the backend answers but refuses the upgrade, dial returns an error
// and the response: status, headers and up to 1 KiB of body (already read,
// in resp.Body). An invalid 101 returns an error and the 101 response.
func (d *backendDialer) dial(ctx context.Context, u *url.URL, header http.Header, subprotocols []string) (*WSConn, *http.Response, error) {
	var useTLS bool
	switch u.Scheme {
	case "ws", "http":
	case "wss", "https":
		useTLS = true
	default:
		return nil, nil, fmt.Errorf("unsupported backend scheme %q", u.Scheme)
	}
	host := u.Hostname()
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if useTLS {
			port = "443"
		}
		addr = net.JoinHostPort(host, port)
	}
	conn, err := d.dialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, ctxErr(ctx, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = conn.Close()
		}
	}()
	// The handshake's I/O is bounded by ctx: its deadline, and cancellation.
	if dl, has := ctx.Deadline(); has {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if useTLS {
		cfg := &tls.Config{}
		if d.tlsConfig != nil {
			cfg = d.tlsConfig.Clone()
		}
		cfg.InsecureSkipVerify = false // never: the backend's certificate and name are checked
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, ctxErr(ctx, err)
		}
		conn = tc
	}

	var kb [16]byte
	_, _ = rand.Read(kb[:])
	key := base64.StdEncoding.EncodeToString(kb[:])
	var b bytes.Buffer
	b.Grow(512)
	b.WriteString("GET ")
	b.WriteString(u.RequestURI())
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(u.Host)
	b.WriteString("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ")
	b.WriteString(key)
	b.WriteString("\r\n")
	if len(subprotocols) > 0 {
		b.WriteString("Sec-WebSocket-Protocol: ")
		b.WriteString(strings.Join(subprotocols, ", "))
		b.WriteString("\r\n")
	}
	writeExtraHeaders(&b, header)
	b.WriteString("\r\n")
	if _, err := conn.Write(b.Bytes()); err != nil {
		return nil, nil, ctxErr(ctx, err)
	}

	// The response head is bounded (as net/http's transport bounds it): a
	// backend sending endless header lines gets a 502, not our memory.
	head := &headLimit{r: conn, left: maxBackendHandshakeHead}
	br := bufio.NewReaderSize(head, 1024)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
	if head.left <= 0 && err != nil {
		err = errHandshakeHeadTooLarge
	}
	if err != nil {
		return nil, nil, ctxErr(ctx, fmt.Errorf("reading the backend's handshake response: %w", err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return nil, resp, &errBackendHandshake{fmt.Sprintf("the backend refused the WebSocket upgrade: %s", resp.Status)}
	}
	resp.Body = http.NoBody
	fail := func(msg string) (*WSConn, *http.Response, error) {
		return nil, resp, &errBackendHandshake{"invalid WebSocket handshake response from the backend: " + msg}
	}
	switch {
	case !headerHasToken(resp.Header, "Upgrade", "websocket"):
		return fail("Upgrade is not websocket")
	case !headerHasToken(resp.Header, "Connection", "upgrade"):
		return fail("Connection is not upgrade")
	case resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key):
		return fail("wrong Sec-WebSocket-Accept")
	case strings.TrimSpace(strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), "")) != "":
		return fail("it negotiated an extension that was not offered")
	}
	sp := strings.TrimSpace(resp.Header.Get("Sec-WebSocket-Protocol"))
	if sp != "" && !slices.Contains(subprotocols, sp) {
		return fail(fmt.Sprintf("it chose subprotocol %q, which was not offered", sp))
	}

	stop()
	_ = conn.SetDeadline(time.Time{})
	var pending []byte
	if n := br.Buffered(); n > 0 {
		p, _ := br.Peek(n)
		pending = bytes.Clone(p)
	}
	ok = true
	return &WSConn{conn: conn, pending: pending, mask: true, subprotocol: sp}, resp, nil
}

// ctxErr reports a handshake I/O error as ctx's error when ctx is done or
// the deadline taken from ctx fired (the conn's deadline can fire a hair
// before ctx's own timer), so callers can tell a timeout.
func ctxErr(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// maxBackendHandshakeHead bounds a backend's handshake response: status
// line and headers (net/http's server takes 1 MiB of request headers).
const maxBackendHandshakeHead = 1 << 20

var errHandshakeHeadTooLarge = fmt.Errorf("the handshake response's headers exceed %d bytes", maxBackendHandshakeHead)

// headLimit reads at most left bytes, then fails.
type headLimit struct {
	r    io.Reader
	left int64
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, errHandshakeHeadTooLarge
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}
