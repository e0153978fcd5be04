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
	"net/netip"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"tollgate/gateway/internal/evloop"
	"tollgate/gateway/internal/wire"
)

// Dialer dials WebSocket backends.
type Dialer struct {
	// dialContext opens the TCP connection (the server transport's
	// DialContext, or a net.Dialer's).
	dialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// tlsConfig is the base TLS configuration for wss (may be nil).
	tlsConfig *tls.Config
	// direct: plain ws backends without a proxy are dialed by dialDirect
	// (dialContext is its fallback for host names).
	direct bool
	// lastAddr: the address the direct dial parsed last (Linux).
	lastAddr atomic.Pointer[directAddr]
}

// directAddr is a backend address as its URL gives it (host, and addr
// with the port), parsed: ok, a literal IP address and its port (ap).
type directAddr struct {
	host, addr string
	ap         netip.AddrPort
	ok         bool
}

// NewDirectDialer returns a Dialer that opens backend connections itself,
// without TCP keepalive (the relay pings both sides and closes a dead
// one): on Linux, a ws backend at a literal IP address, not reached through
// a proxy, is dialed on a raw socket with fewer system calls than
// net.Dialer makes (see dialDirect); anything else (host names, wss, a
// proxy, other platforms) with a net.Dialer{Timeout: 30s, KeepAlive: -1}.
// tlsConfig is the base TLS configuration for wss (may be nil).
func NewDirectDialer(tlsConfig *tls.Config) *Dialer {
	return &Dialer{
		dialContext: (&net.Dialer{Timeout: directDialTimeout, KeepAlive: -1}).DialContext,
		tlsConfig:   tlsConfig,
		direct:      true,
	}
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

// directDialTimeout bounds a direct dial's connect (ctx may end it sooner),
// as the net.Dialer tollgate's transport uses.
const directDialTimeout = 30 * time.Second

// ctxBound is a connection whose I/O waits on the handshake's ctx itself
// while ctxBound is true (a raw socket, see sockConn on Linux): Dial sets
// no deadline and no ctx hook on it, and calls handshakeDone once the
// handshake succeeded.
type ctxBound interface {
	ctxBound() bool
	handshakeDone()
	// awaitRead: the next read is for an answer to what was just written,
	// which cannot be there yet: it waits for the socket to become
	// readable before it reads (no read that finds nothing first).
	awaitRead()
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
	return d.dial(ctx, u, header, subprotocols, true)
}

// DialConn is Dial for a caller that has no use for a backend's 101: a
// valid 101 is checked where it was read, and no http.Response (its
// header map, the head as a string) is built for it; resp is nil then.
// A refusal or an invalid 101 returns its response as Dial does.
func (d *Dialer) DialConn(ctx context.Context, u *url.URL, header http.Header, subprotocols []string) (*Conn, *http.Response, error) {
	return d.dial(ctx, u, header, subprotocols, false)
}

// Checked says that its caller checked every field of the map Header,
// which held Fields fields then: a name that is a token and values
// without CR, LF, NUL or another control character but HTAB (the
// gateway's checkOutboundField). The handshake's head then takes that
// very map's names and values without looking for an invalid name or a
// line break again; any other map (a clone, another request's), a map
// with more or fewer fields, or a zero Checked is checked as before. The
// caller must not change a value in the map between its check and the
// dial.
type Checked struct {
	Header http.Header
	Fields int
}

// covers reports whether c vouches for h as it is.
func (c Checked) covers(h http.Header) bool {
	return c.Fields > 0 && c.Fields == len(h) && c.Header != nil && wire.SameMap(c.Header, h)
}

// DialChecked is Dial (keep101) or DialConn for a header whose fields
// its caller checked (ck, for header itself): they are not checked again
// as the request head is written.
func (d *Dialer) DialChecked(ctx context.Context, u *url.URL, header http.Header, subprotocols []string, keep101 bool, ck Checked) (*Conn, *http.Response, error) {
	return d.dialWith(ctx, u, header, subprotocols, keep101, ck.covers(header), nil, nil)
}

// DialCheckedOn is DialChecked from a handshake that runs in t, a task of
// the front's event loops (gateway/internal/evloop) still on its loop
// (nil: none). A plain ws backend at a literal IP address, not reached
// through a proxy, whose connect completes at once (a local backend) is
// then read on t's loop: the 101's wait suspends t, and the socket leaves
// that loop when the session starts (the relay's Start) or the
// connection moves to Go's poller. Any other dial (TLS, a proxy, a host
// name, a connect that has to wait, another dialer's pipe) releases t
// first (evloop.Task.Release) and goes on as DialChecked. ctx must be
// the gateway's lazily built deadline on its session context for the
// dial to stay on the loop (see sockConn.onFrontLoop). ckey: the client's
// key, sent on as DialFor says.
func (d *Dialer) DialCheckedOn(t *evloop.Task, ctx context.Context, u *url.URL, header http.Header, subprotocols []string, keep101 bool, ck Checked, ckey *ClientKey) (*Conn, *http.Response, error) {
	if ckey != nil && !validKey(ckey.Key) {
		ckey = nil
	}
	return d.dialWith(ctx, u, header, subprotocols, keep101, ck.covers(header), t, ckey)
}

// DialFor is DialChecked for the handshake of the client whose key ckey
// holds (nil: none): the backend is sent that key rather than a fresh
// one, as a proxy that passes the client's handshake on does (RFC 6455
// 4.1: the key is a nonce the client chose; the client chose it), and the
// backend's Sec-WebSocket-Accept is checked against it as against any
// key. The accept's hash is then kept in ckey, for the client's 101
// (UpgradeFor). A key that is not 24 characters of strict base64 for 16
// bytes (validKey) is not sent: the backend gets a fresh key, as with
// DialChecked.
func (d *Dialer) DialFor(ctx context.Context, u *url.URL, header http.Header, subprotocols []string, keep101 bool, ck Checked, ckey *ClientKey) (*Conn, *http.Response, error) {
	return d.DialCheckedOn(nil, ctx, u, header, subprotocols, keep101, ck, ckey)
}

func (d *Dialer) dial(ctx context.Context, u *url.URL, header http.Header, subprotocols []string, keep101 bool) (*Conn, *http.Response, error) {
	return d.dialWith(ctx, u, header, subprotocols, keep101, false, nil, nil)
}

// dialWith is the dial; checked: header's fields were checked (Checked);
// t: see DialCheckedOn; ckey: the client's key to send (DialFor, valid),
// or nil for a fresh one.
func (d *Dialer) dialWith(ctx context.Context, u *url.URL, header http.Header, subprotocols []string, keep101, checked bool, t *evloop.Task, ckey *ClientKey) (*Conn, *http.Response, error) {
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
	// The key, and the accept it calls for (no allocation for either).
	var key [24]byte
	if ckey != nil {
		copy(key[:], ckey.Key)
		ckey.sent = false // (until the backend's accept of it is checked)
	} else {
		var kb [16]byte
		_, _ = rand.Read(kb[:])
		base64.StdEncoding.Encode(key[:], kb[:])
	}
	sum := acceptSum(string(key[:]))
	var want [acceptLen]byte
	base64.StdEncoding.Encode(want[:], sum[:])

	// The request head in one write, built in a pooled buffer that then
	// takes the response head. It is built before the dial: the direct
	// dial sends it as the check that its connect completed (dialDirectHead).
	bp := getHeadBuf()
	defer putHeadBuf(bp)
	b := append((*bp)[:0], "GET "...)
	b = appendRequestURI(b, u)
	b = append(append(b, " HTTP/1.1\r\nHost: "...), u.Host...)
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "...)
	b = append(append(b, key[:]...), "\r\n"...)
	if len(subprotocols) > 0 {
		b = append(b, "Sec-WebSocket-Protocol: "...)
		for i, p := range subprotocols {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, p...)
		}
		b = append(b, "\r\n"...)
	}
	b = appendExtraHeadersChecked(b, header, checked)
	b = append(b, "\r\n"...)
	*bp = b
	var conn net.Conn
	var err error
	sent := 0 // of b, by the dial
	if d.direct && !useTLS && ctx.Value(proxyKeyCtx{}) == nil {
		conn, sent, err = d.dialDirect(ctx, host, addr, b, t)
	} else {
		if t != nil {
			t.Release() // TLS, a proxy, another dialer's pipe: they wait in Go's poller
		}
		conn, err = dialVia(ctx, d.dialContext, addr) // through the proxy policy's proxy, if any
	}
	if err != nil {
		return nil, nil, ctxErr(ctx, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = conn.Close()
		}
	}()
	// The handshake's I/O is bounded by ctx: its deadline, and cancellation
	// (a raw socket's I/O waits on ctx itself).
	cb, bound := conn.(ctxBound)
	bound = bound && cb.ctxBound()
	stop := func() bool { return false }
	if !bound {
		if dl, has := ctx.Deadline(); has {
			_ = conn.SetDeadline(dl)
		}
		raw := conn // (TLS below wraps conn; its deadlines are raw's)
		stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	}
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

	if sent < len(b) {
		if _, err := conn.Write(b[sent:]); err != nil {
			return nil, nil, ctxErr(ctx, err)
		}
	}
	if bound && !useTLS {
		cb.awaitRead()
	}

	// The response head is read into the same buffer, bounded (as
	// net/http's transport bounds it): a backend sending endless header
	// lines gets a 502, not our memory.
	head, rest, err := readHead(conn, (*bp)[:0], maxBackendHandshakeHead)
	*bp = head[:0]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, nil, ctxErr(ctx, fmt.Errorf("reading the backend's handshake response: %w", err))
	}
	var resp *http.Response
	var sp string
	ok101 := false
	if !keep101 {
		sp, ok101 = check101(head[:len(head)-len(rest)], want[:], subprotocols)
	}
	if !ok101 { // (an invalid 101 is parsed again, for its response)
		resp, ok101 = parse101(head[:len(head)-len(rest)])
	}
	if resp == nil && ok101 {
		// checked in place
	} else if !ok101 {
		// Anything but a plain 101 head (a refusal, a folded line, a
		// truncated head): net/http parses it, the body of a refusal
		// included.
		br := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(head), &headLimit{r: conn, left: maxBackendHandshakeHead - int64(len(head))}), 1024)
		resp, err = http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: u})
		if err != nil {
			return nil, nil, ctxErr(ctx, fmt.Errorf("reading the backend's handshake response: %w", err))
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body = io.NopCloser(bytes.NewReader(body))
			return nil, resp, &errBackendHandshake{fmt.Sprintf("the backend refused the WebSocket upgrade: %s", resp.Status)}
		}
		resp.Body = http.NoBody
		// What the backend sent after its head.
		rest = nil
		if n := br.Buffered(); n > 0 {
			rest, _ = br.Peek(n)
		}
	}
	if resp != nil {
		var msg string
		if sp, msg = check101Header(resp.Header, want[:], subprotocols); msg != "" {
			return nil, resp, &errBackendHandshake{"invalid WebSocket handshake response from the backend: " + msg}
		}
	}

	if bound {
		cb.handshakeDone()
	} else {
		stop()
		_ = conn.SetDeadline(time.Time{})
	}
	var pending []byte
	if len(rest) > 0 {
		pending = bytes.Clone(rest)
	}
	ok = true
	var c *Conn
	if r, isRoom := conn.(connRoom); isRoom {
		c = r.wsConn()
	} else {
		c = new(Conn)
	}
	*c = Conn{conn: conn, pending: pending, mask: true, subprotocol: sp}
	if ckey != nil {
		ckey.sum, ckey.sent = sum, true
	}
	return c, resp, nil
}

// connRoom is a connection that holds the room for the Conn that wraps
// it (the direct dial's raw socket, sockConn): one allocation for both.
type connRoom interface{ wsConn() *Conn }

// appendRequestURI appends u.RequestURI() to dst without building it as a
// string first when u is a plain path and query.
func appendRequestURI(dst []byte, u *url.URL) []byte {
	if u.Opaque != "" || u.RawPath != "" || u.ForceQuery || u.Path == "" || !isPlainPath(u.Path) {
		return append(dst, u.RequestURI()...)
	}
	dst = append(dst, u.Path...)
	if u.RawQuery != "" {
		dst = append(append(dst, '?'), u.RawQuery...)
	}
	return dst
}

// isPlainPath reports whether p needs no escaping in a request line
// (url.URL.EscapedPath would return it as it is).
func isPlainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~/$&+,;=:@", c) >= 0: // what url's path escaping leaves as it is
		default:
			return false
		}
	}
	return true
}

// readHead reads from r into buf until it holds a whole response head
// (status line and header lines up to an empty line; CRLF or bare LF), at
// most limit bytes of it. It returns buf grown with what was read, and rest:
// the bytes read past the head (a suffix of the returned buffer). Without
// a whole head it returns what it read and the read error (EOF included),
// or errHandshakeHeadTooLarge.
func readHead(r io.Reader, buf []byte, limit int) (all, rest []byte, err error) {
	scanned := 0 // buf[:scanned] holds no end of head
	for {
		if end := headEnd(buf, scanned); end >= 0 {
			return buf, buf[end:], nil
		}
		if len(buf) >= limit {
			return buf, nil, errHandshakeHeadTooLarge
		}
		scanned = max(len(buf)-3, 0)
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(max(cap(buf), 512), limit-len(buf)))
		}
		n, rerr := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if rerr != nil {
			if end := headEnd(buf, scanned); end >= 0 {
				return buf, buf[end:], nil
			}
			if rerr == io.EOF && len(buf) > 0 {
				rerr = io.ErrUnexpectedEOF
			}
			return buf, nil, rerr
		}
	}
}

// headEnd is the index just past the empty line that ends the head in b
// ("\n\n" or "\n\r\n"), searching from from; -1 if there is none yet.
func headEnd(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		j := bytes.IndexByte(b[i:], '\n') // (not a loop over every byte: the head's bytes are most of it)
		if j < 0 {
			return -1
		}
		i += j
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			return i + 3
		}
	}
	return -1
}

// parse101 parses a plain "HTTP/1.x 101" response head (CRLF line ends,
// "Name: value" lines with valid names and values, no folded lines) with a
// few allocations: the head as one string that the values slice, the map,
// one array for the values and the response. ok is false for anything else,
// which net/http then parses.
func parse101(b []byte) (*http.Response, bool) {
	if len(b) < 16 || string(b[:7]) != "HTTP/1." || string(b[8:12]) != " 101" {
		return nil, false
	}
	head := string(b)
	line, rest, ok := strings.Cut(head, "\r\n")
	if !ok || (line[7] != '0' && line[7] != '1') || (len(line) > 12 && line[12] != ' ') {
		return nil, false
	}
	if !validValue(line) {
		return nil, false
	}
	status := line[9:] // as net/http has it: "101 Reason"
	proto, minor := "HTTP/1.1", 1
	if line[7] == '0' {
		proto, minor = "HTTP/1.0", 0
	}
	n := max(strings.Count(rest, "\n")-1, 0) // the fields' lines, not the empty one
	h := make(http.Header, n)
	// The response and one backing array for every value in one allocation
	// (room for eight; a 101 usually carries three to five).
	r := new(response101)
	vals := r.vals[:0]
	if n > len(r.vals) {
		vals = make([]string, 0, n)
	}
	for {
		line, rest, ok = strings.Cut(rest, "\r\n")
		if !ok {
			return nil, false
		}
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !httpguts.ValidHeaderFieldName(name) {
			return nil, false
		}
		if strings.ContainsAny(value, "\r\n") {
			// A bare CR or LF, which TrimString would take off the
			// value's ends: a line break of its own (RFC 9112 2.2), for
			// the full parse to judge, as check101 leaves it (FuzzCheck101).
			return nil, false
		}
		value = textproto.TrimString(value)
		if !validValue(value) {
			return nil, false
		}
		k := canonicalHandshakeKey(name)
		if have := h[k]; have != nil {
			h[k] = append(have, value) // a repeated name (rare): its own slice
			continue
		}
		vals = append(vals, value)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	if rest != "" {
		return nil, false
	}
	r.resp = http.Response{Status: status, StatusCode: http.StatusSwitchingProtocols, Proto: proto, ProtoMajor: 1,
		ProtoMinor: minor, Header: h, Body: http.NoBody}
	return &r.resp, true
}

// check101Header checks a 101's header for Dial: the upgrade, the accept
// key (want), no extension, and a subprotocol of those offered, which it
// returns. msg says what is wrong ("" for nothing).
func check101Header(h http.Header, want []byte, subprotocols []string) (sp, msg string) {
	switch {
	case !HeaderHasToken(h, "Upgrade", "websocket"):
		return "", "Upgrade is not websocket"
	case !HeaderHasToken(h, "Connection", "upgrade"):
		return "", "Connection is not upgrade"
	case len(h["Sec-Websocket-Accept"]) == 0 || h["Sec-Websocket-Accept"][0] != string(want):
		return "", "wrong Sec-WebSocket-Accept"
	case strings.TrimSpace(strings.Join(h["Sec-Websocket-Extensions"], "")) != "":
		return "", "it negotiated an extension that was not offered"
	}
	if v := h["Sec-Websocket-Protocol"]; len(v) > 0 {
		sp = strings.TrimSpace(v[0])
	}
	if sp != "" && !slices.Contains(subprotocols, sp) {
		return "", fmt.Sprintf("it chose subprotocol %q, which was not offered", sp)
	}
	return sp, ""
}

// check101 is parse101 and check101Header in one pass over b, building
// nothing: ok when parse101 would take b and check101Header find nothing
// wrong with it, and then the subprotocol chosen (one of subprotocols'
// strings, or ""). Anything else (not a plain 101, or an invalid one) is
// not ok: Dial parses it again for its response (FuzzCheck101 holds the
// two ways to the same answers).
func check101(b, want []byte, subprotocols []string) (sp string, ok bool) {
	if len(b) < 16 || string(b[:7]) != "HTTP/1." || string(b[8:12]) != " 101" {
		return "", false
	}
	line, rest, found := cutCRLF(b)
	if !found || (line[7] != '0' && line[7] != '1') || (len(line) > 12 && line[12] != ' ') || !validValue(line) {
		return "", false
	}
	var upgrade, connection, accepted, extension, sawAccept, sawProtocol bool
	var protocol []byte
	for {
		line, rest, found = cutCRLF(rest)
		if !found {
			return "", false
		}
		if len(line) == 0 {
			break
		}
		c := bytes.IndexByte(line, ':')
		if c < 0 || !validName(line[:c]) {
			return "", false
		}
		// A bare CR (an LF ends the line) is parse101's refusal, and any
		// other control byte but HTAB an invalid value: one walk over the
		// value as it came, before it is trimmed (the trim takes only
		// space, HTAB, CR and LF, and neither CR nor LF may be left).
		if !validValue(line[c+1:]) {
			return "", false
		}
		name, value := line[:c], trimASCIISpace(line[c+1:]) // textproto.TrimString
		// The names looked at, by length, as RFC 6455 spells them
		// (equalName's fast case).
		switch len(name) {
		case len("Upgrade"):
			if equalName(name, "Upgrade") {
				upgrade = upgrade || hasToken(value, "websocket")
			}
		case len("Connection"):
			if equalName(name, "Connection") {
				connection = connection || hasToken(value, "upgrade")
			}
		case len("Sec-WebSocket-Accept"):
			if !sawAccept && equalName(name, "Sec-WebSocket-Accept") {
				sawAccept, accepted = true, string(value) == string(want)
			}
		case len("Sec-WebSocket-Extensions"):
			if equalName(name, "Sec-WebSocket-Extensions") {
				extension = extension || len(bytes.TrimSpace(value)) > 0
			}
		case len("Sec-WebSocket-Protocol"):
			if !sawProtocol && equalName(name, "Sec-WebSocket-Protocol") {
				sawProtocol, protocol = true, bytes.TrimSpace(value)
			}
		}
	}
	if len(rest) != 0 || !upgrade || !connection || !accepted || extension {
		return "", false
	}
	if len(protocol) == 0 {
		return "", true
	}
	for _, p := range subprotocols {
		if p == string(protocol) {
			return p, true
		}
	}
	return "", false
}

// cutCRLF is bytes.Cut(b, "\r\n"), found by the first LF: one before
// which there is no CR ends no line, and the line it would be part of
// (holding a bare LF) is invalid anyway, so found is false then.
func cutCRLF(b []byte) (line, rest []byte, found bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil, false
	}
	return b[:i-1], b[i+1:], true
}

// trimASCIISpace is textproto.TrimString on bytes.
func trimASCIISpace(b []byte) []byte {
	for len(b) > 0 && isASCIISpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isASCIISpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isASCIISpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// validName is httpguts.ValidHeaderFieldName on bytes.
func validName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !httpguts.IsTokenRune(rune(c)) {
			return false
		}
	}
	return true
}

// equalName: the field name b is name (ASCII, case-insensitive; b is a
// valid name, so ASCII). A name as name spells it (what backends send) is
// one compare.
func equalName(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	if string(b) == name {
		return true
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], name[i]
		if c|0x20 != d|0x20 {
			return false
		}
	}
	return true
}

// hasToken is HeaderHasToken on one field's value (token ASCII, as
// every caller's is), but for an element only as long as token in bytes
// (what it always asked): tokenIn's walk with bytes.TrimSpace for the rare
// element with a byte past ASCII at an edge.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var t []byte
		t, v = nextElement(v)
		t, wide := trimASCII(t)
		if wide {
			t = bytes.TrimSpace(t)
		}
		if foldEqual(t, token) {
			return true
		}
	}
	return false
}

// tokenIn is HeaderHasToken on one value: each comma-separated element,
// trimmed as strings.TrimSpace trims (Unicode space included: an element
// with a byte past ASCII at an edge is handed to strings.TrimSpace), is
// compared with token (ASCII) byte by byte, ASCII letters in either case:
// what strings.EqualFold decides for an element of the token's length in
// bytes. An element of another length that is not ASCII goes to
// EqualFold, which may still fold it to token (U+212A KELVIN SIGN folds
// to k: "websoc\u212aet" is "websocket" to it, as it was here before;
// hasToken, the backend 101's check, never took that). FuzzHasToken
// checks it against the Cut, TrimSpace and EqualFold version it replaced
// (about 300 instructions an element).
func tokenIn(v, token string) bool {
	for len(v) > 0 {
		var t string
		t, v = nextElement(v)
		t, wide := trimASCII(t)
		if wide {
			t = strings.TrimSpace(t)
		}
		if len(t) != len(token) {
			// Longer or shorter in bytes, it may still fold to token
			// rune by rune if it is not ASCII (the Kelvin sign):
			// EqualFold says, as it did.
			if hasWide(t) && strings.EqualFold(t, token) {
				return true
			}
			continue
		}
		if foldEqual(t, token) {
			return true
		}
	}
	return false
}

// hasWide: s has a byte past ASCII.
func hasWide(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// nextElement cuts v at its first comma.
func nextElement[T string | []byte](v T) (elem, rest T) {
	for i := 0; i < len(v); i++ {
		if v[i] == ',' {
			return v[:i], v[i+1:]
		}
	}
	return v, v[len(v):]
}

// trimASCII trims the ASCII space unicode.IsSpace knows off t's edges;
// wide: an edge left is a byte past ASCII (which may start a Unicode
// space: the caller trims with TrimSpace then).
func trimASCII[T string | []byte](t T) (_ T, wide bool) {
	for len(t) > 0 && asciiSpace(t[0]) {
		t = t[1:]
	}
	for len(t) > 0 && asciiSpace(t[len(t)-1]) {
		t = t[:len(t)-1]
	}
	return t, len(t) > 0 && (t[0] >= 0x80 || t[len(t)-1] >= 0x80)
}

// foldEqual: t is token (ASCII), ASCII letters in either case.
func foldEqual[T string | []byte](t T, token string) bool {
	if len(t) != len(token) {
		return false
	}
	for i := 0; i < len(t); i++ {
		c, d := t[i], token[i]
		if c == d {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// asciiSpace: the ASCII bytes unicode.IsSpace holds a space.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// response101 is a parsed 101 and the values of its first fields.
type response101 struct {
	resp http.Response
	vals [8]string
}

// validValue is httpguts.ValidHeaderFieldValue: no control bytes but tab.
func validValue[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// canonicalHandshakeKey is textproto.CanonicalMIMEHeaderKey(name), without
// allocating for the headers a 101 usually carries.
func canonicalHandshakeKey(name string) string {
	for _, k := range [...]string{"Upgrade", "Connection", "Sec-Websocket-Accept", "Sec-Websocket-Protocol",
		"Sec-Websocket-Extensions", "Date", "Server"} {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(name)
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

// HTTPTransport is an http.Transport that dials as d does (its dial
// function and TLS configuration): for a WebSocket client of another
// library that must reach the backends d reaches (a pass-through GraphQL
// API's subscriptions with resolvers, gateway/graphql_mixed_ws.go).
func (d *Dialer) HTTPTransport() *http.Transport {
	tr := &http.Transport{DialContext: d.dialContext, ForceAttemptHTTP2: false}
	if d.tlsConfig != nil {
		tr.TLSClientConfig = d.tlsConfig.Clone()
	}
	return tr
}
