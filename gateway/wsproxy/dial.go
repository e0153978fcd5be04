package wsproxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
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

// Dialer dials WebSocket backends.
type Dialer struct {
	// dialContext opens the TCP connection (the server transport's
	// DialContext, or a net.Dialer's).
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// tlsConfig is the base TLS configuration for wss (may be nil).
	tlsConfig *tls.Config
}

func NewDialer(tr *http.Transport) *Dialer {
	d := &Dialer{}
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
func (d *Dialer) Dial(ctx context.Context, u *url.URL, header http.Header, subprotocols []string) (*Conn, *http.Response, error) {
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
	conn, err := dialVia(ctx, d.dialContext, addr) // through the proxy policy's proxy, if any
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
		if cert := clientCertFrom(ctx); cert != nil { // authentication-certificate
			cfg.Certificates = []tls.Certificate{*cert}
		}
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
	fail := func(msg string) (*Conn, *http.Response, error) {
		return nil, resp, &errBackendHandshake{"invalid WebSocket handshake response from the backend: " + msg}
	}
	switch {
	case !HeaderHasToken(resp.Header, "Upgrade", "websocket"):
		return fail("Upgrade is not websocket")
	case !HeaderHasToken(resp.Header, "Connection", "upgrade"):
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
	return &Conn{conn: conn, pending: pending, mask: true, subprotocol: sp}, resp, nil
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

// headLimit reads at most left bytes, then fails. Only the handshake
// response is read through it: what the backend sent after its head is
// taken from the bufio.Reader's buffer, then the relay reads conn itself.
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
