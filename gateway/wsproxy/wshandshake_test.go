package wsproxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"tollgate/internal/testutil"
)

// proxyTo serves a minimal gateway in front of backendURL: Dialer +
// acceptWebSocket + Relay, with extra headers on the 101.
func proxyTo(t *testing.T, backendURL string, d *Dialer, extra http.Header) *httptest.Server {
	t.Helper()
	if d == nil {
		d = NewDirectDialer(nil)
	}
	stats := make(chan Stats, 16)
	relayer := relayerOrDefault(t)
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := url.Parse(backendURL)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b, resp, err := d.Dial(ctx, u, nil, OfferedSubprotocols(r))
		if err != nil {
			if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
				for k, v := range resp.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(resp.StatusCode)
				_, _ = io.Copy(w, resp.Body)
				return
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		c, err := acceptWebSocket(w, r, b.Subprotocol(), extra)
		if err != nil {
			_ = b.Close()
			return
		}
		relayer.Start(context.Background(), c, b, Limits{}, nil, DoneFunc(func(st Stats) {
			select {
			case stats <- st:
			default:
			}
		}))
	}))
	t.Cleanup(p.Close)
	return p
}

func wsURL(httpURL string) string { return "ws" + strings.TrimPrefix(httpURL, "http") }

func echoBackend(t *testing.T, opts *websocket.AcceptOptions) *httptest.Server {
	t.Helper()
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		backendEcho(c)
	}))
	t.Cleanup(b.Close)
	return b
}

func TestAcceptRejectsBadHandshakes(t *testing.T) {
	p := proxyTo(t, wsURL(echoBackend(t, nil).URL), nil, nil)
	good := func() http.Header {
		return http.Header{
			"Connection":            {"Upgrade"},
			"Upgrade":               {"websocket"},
			"Sec-Websocket-Version": {"13"},
			"Sec-Websocket-Key":     {base64.StdEncoding.EncodeToString(make([]byte, 16))},
		}
	}
	tests := []struct {
		name   string
		edit   func(h http.Header)
		status int
	}{
		{"valid", func(http.Header) {}, http.StatusSwitchingProtocols},
		{"missing key", func(h http.Header) { h.Del("Sec-Websocket-Key") }, http.StatusBadRequest},
		{"short key", func(h http.Header) { h.Set("Sec-Websocket-Key", base64.StdEncoding.EncodeToString(make([]byte, 8))) }, http.StatusBadRequest},
		{"key not base64", func(h http.Header) { h.Set("Sec-Websocket-Key", "not base64!!!!!!!!!!!!!!") }, http.StatusBadRequest},
		{"two keys", func(h http.Header) { h.Add("Sec-Websocket-Key", h.Get("Sec-Websocket-Key")) }, http.StatusBadRequest},
		{"version 8", func(h http.Header) { h.Set("Sec-Websocket-Version", "8") }, http.StatusBadRequest},
		{"no version", func(h http.Header) { h.Del("Sec-Websocket-Version") }, http.StatusBadRequest},
		{"no upgrade token", func(h http.Header) { h.Set("Upgrade", "h2c") }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := good()
			tt.edit(h)
			req, _ := http.NewRequest(http.MethodGet, p.URL, nil)
			req.Header = h
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status == http.StatusSwitchingProtocols {
				if got, want := resp.Header.Get("Sec-Websocket-Accept"), acceptKey(h.Get("Sec-Websocket-Key")); got != want {
					t.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
				}
				if resp.Header.Get("Sec-Websocket-Extensions") != "" {
					t.Error("an extension was negotiated")
				}
			}
			if strings.HasPrefix(tt.name, "version") && resp.Header.Get("Sec-Websocket-Version") != "13" {
				t.Errorf("a bad version must be answered with Sec-WebSocket-Version: 13, got %v", resp.Header)
			}
		})
	}
}

func TestHandshakeSubprotocolAndHeaders(t *testing.T) {
	b := echoBackend(t, &websocket.AcceptOptions{Subprotocols: []string{"b", "c"}})
	p := proxyTo(t, wsURL(b.URL), nil, http.Header{"X-Ratelimit-Remaining": {"41"}, "Upgrade": {"evil"}})
	ctx := context.Background()
	c, resp, err := websocket.Dial(ctx, wsURL(p.URL), &websocket.DialOptions{
		Subprotocols: []string{"a", "b"},
		// A browser offers compression; nothing must be negotiated.
		CompressionMode: websocket.CompressionContextTakeover,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "b" {
		t.Errorf("subprotocol %q, want b (the backend's choice among the offer)", c.Subprotocol())
	}
	if resp.Header.Get("X-Ratelimit-Remaining") != "41" || resp.Header.Get("Upgrade") != "websocket" {
		t.Errorf("101 headers %v", resp.Header)
	}
	if resp.Header.Get("Sec-Websocket-Extensions") != "" {
		t.Errorf("extension negotiated: %q", resp.Header.Get("Sec-Websocket-Extensions"))
	}
	for _, n := range []int{10, 5000} {
		msg := strings.Repeat("z", n)
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != msg {
			t.Fatalf("echo: %d bytes, %v", len(got), err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")

	// No offer in common: no subprotocol at all.
	c2, _, err := websocket.Dial(ctx, wsURL(p.URL), &websocket.DialOptions{Subprotocols: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	if c2.Subprotocol() != "" {
		t.Errorf("subprotocol %q, want none", c2.Subprotocol())
	}
}

// rawBackend answers every request with the raw bytes resp(key) returns.
func rawBackend(t *testing.T, resp func(key string) string) *httptest.Server {
	t.Helper()
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, resp(r.Header.Get("Sec-Websocket-Key")))
		_, _ = io.Copy(io.Discard, conn)
	}))
	t.Cleanup(b.Close)
	return b
}

func dialTest(t *testing.T, d *Dialer, rawURL string, subprotocols ...string) (*Conn, *http.Response, error) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if d == nil {
		d = NewDirectDialer(nil)
	}
	c, resp, err := d.Dial(ctx, u, http.Header{"X-Forwarded-For": {"192.0.2.1"}}, subprotocols)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

func TestDialBackendRefusalPassedOn(t *testing.T) {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-For") != "192.0.2.1" || r.Header.Get("Sec-Websocket-Extensions") != "" {
			t.Errorf("handshake request headers %v", r.Header)
		}
		w.Header().Set("X-Why", "no token")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, strings.Repeat("x", 5000))
	}))
	defer b.Close()
	_, resp, err := dialTest(t, nil, wsURL(b.URL)+"/path?q=1")
	if err == nil || resp == nil {
		t.Fatalf("dial: %v, resp %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Why") != "no token" || len(body) != 1024 {
		t.Fatalf("got %d %v with %d body bytes, want 403, X-Why and the first 1024 bytes", resp.StatusCode, resp.Header, len(body))
	}
}

func TestDialBackendRejectsBad101(t *testing.T) {
	tests := []struct {
		name string
		resp func(key string) string
		want string
	}{
		{"extension", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				acceptKey(key) + "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
		}, "extension"},
		{"wrong accept", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				acceptKey("x") + "\r\n\r\n"
		}, "Sec-WebSocket-Accept"},
		{"subprotocol not offered", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				acceptKey(key) + "\r\nSec-WebSocket-Protocol: zzz\r\n\r\n"
		}, "subprotocol"},
		{"no upgrade", func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"
		}, "Upgrade"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := rawBackend(t, tt.resp)
			c, resp, err := dialTest(t, nil, wsURL(b.URL), "a")
			if err == nil || c != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("dial: %v, want an error about %s", err, tt.want)
			}
			if resp == nil || resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("resp %v, want the 101", resp)
			}
		})
	}
}

// silentBackend listens on loopback and accepts connections it never
// answers: it reads what they send until they close. It returns the
// address; the listener closes with the test.
func silentBackend(t *testing.T) string {
	t.Helper()
	return testutil.ServeTCP(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c); _ = c.Close() })
}

func TestDialBackendTimeout(t *testing.T) {
	u, _ := url.Parse("ws://" + silentBackend(t))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, _, err := NewDialer(nil).Dial(ctx, u, nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestRelayLeftoverBytes: frames sent in the same packet as the handshake
// (right after the client's request, right after the backend's 101) are
// relayed first.
func TestRelayLeftoverBytes(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		// The backend sends a text frame glued to its 101, then echoes.
		b := rawBackend(t, func(key string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
				acceptKey(key) + "\r\n\r\n" + string(appendFrame(nil, opText, []byte("from backend"), false))
		})
		// rawBackend discards what it reads, so use a coder backend for the
		// client-side check.
		e := echoBackend(t, nil)
		for _, tc := range []struct {
			name, backend, want string
			send                []byte
		}{
			{"backend leftover", wsURL(b.URL), "from backend", nil},
			{"client leftover", wsURL(e.URL), "from client", appendFrame(nil, opText, []byte("from client"), true)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := proxyTo(t, tc.backend, nil, nil)
				conn, br := rawClient(t, p.Listener.Addr().String(), tc.send)
				op, payload := readRawFrame(t, conn, br)
				if op != opText || string(payload) != tc.want {
					t.Fatalf("got op %d %q, want text %q", op, payload, tc.want)
				}
			})
		}
	})
}

// rawClient upgrades a raw TCP connection, sending after right behind the
// request (in the same write).
func rawClient(t *testing.T, addr string, after []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(req), after...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-Websocket-Accept") != acceptKey(key) {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return conn, br
}

func readRawFrame(t *testing.T, conn net.Conn, br *bufio.Reader) (byte, []byte) {
	t.Helper()
	hdr := make([]byte, 2, 14)
	if _, err := io.ReadFull(br, hdr); err != nil {
		t.Fatal(err)
	}
	for {
		h, err := parseHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if h.size > 0 {
			if h.masked {
				t.Fatal("a frame to the client is masked")
			}
			p := make([]byte, h.length)
			if _, err := io.ReadFull(br, p); err != nil {
				t.Fatal(err)
			}
			return h.op, p
		}
		c, err := br.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		hdr = append(hdr, c)
	}
}

// TestRelayProtocolErrors: a client breaking RFC 6455 gets 1002 and the
// backend 1001 "client disconnected".
func TestRelayProtocolErrors(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		tests := []struct {
			name  string
			frame []byte
		}{
			{"unmasked client frame", appendFrame(nil, opText, []byte("hi"), false)},
			{"RSV bit", func() []byte { f := appendFrame(nil, opText, []byte("hi"), true); f[0] |= 0x40; return f }()},
			{"unknown opcode", appendFrame(nil, 0x3, []byte("hi"), true)},
			{"continuation first", func() []byte { f := appendFrame(nil, opText, []byte("hi"), true); f[0] = 0x80; return f }()},
			{"fragmented ping", func() []byte { f := appendFrame(nil, opPing, []byte("hi"), true); f[0] &^= 0x80; return f }()},
			{"close code 1006", appendFrame(nil, opClose, []byte{0x03, 0xEE}, true)},
			{"close 1 byte", appendFrame(nil, opClose, []byte{0x03}, true)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newRelayHarness(t, Limits{}, nil)
				conn, br := rawClient(t, h.proxy.Listener.Addr().String(), nil)
				// The id is in the query; rawClient sends "/", so the backend
				// result is not recorded: check stats and the client's view.
				if _, err := conn.Write(tt.frame); err != nil {
					t.Fatal(err)
				}
				op, payload := readRawFrame(t, conn, br)
				if op != opClose || len(payload) < 2 || binary.BigEndian.Uint16(payload) != 1002 {
					t.Fatalf("client got op %d %q, want close 1002", op, payload)
				}
				st := h.nextStats()
				if st.ClosedBy != ClosedByClient || st.CloseCode != websocket.StatusAbnormalClosure || st.Err == nil ||
					!strings.Contains(st.Err.Error(), "protocol error") {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	})
}

// TestRelayPeerPingsPassThrough: a client's own ping reaches the backend and
// its pong comes back (the gateway only swallows pongs to its own pings).
func TestRelayPeerPingsPassThrough(t *testing.T) {
	forEachRelayer(t, func(t *testing.T) {
		h := newRelayHarness(t, Limits{PingInterval: 10 * time.Millisecond, PingTimeout: 5 * time.Second}, nil)
		c, _ := h.dial("echo")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		go func() { _, _, _ = c.Read(ctx) }() // pongs are read by a reader
		before := h.backendPings.Load()
		for range 20 {
			if err := c.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if h.backendPings.Load()-before < 20 {
			t.Errorf("backend saw %d pings, want >= 20", h.backendPings.Load()-before)
		}
		c.Close(websocket.StatusNormalClosure, "")
	})
}

func TestDialBackendTLS(t *testing.T) {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		backendEcho(c)
	}))
	defer ts.Close()
	trusted := &Dialer{
		dialContext: (&net.Dialer{}).DialContext,
		tlsConfig:   ts.Client().Transport.(*http.Transport).TLSClientConfig,
	}
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())

	t.Run("trusted", func(t *testing.T) {
		p := proxyTo(t, "wss://127.0.0.1:"+port, trusted, nil)
		ctx := context.Background()
		c, _, err := websocket.Dial(ctx, wsURL(p.URL), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if err := c.Write(ctx, websocket.MessageText, []byte("over tls")); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.Read(ctx); err != nil || string(got) != "over tls" {
			t.Fatalf("echo %q %v", got, err)
		}
		if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong host name", func(t *testing.T) {
		// The test certificate is for 127.0.0.1 and example.com, not localhost.
		_, _, err := dialTest(t, trusted, "wss://localhost:"+port)
		var he x509.HostnameError
		if err == nil || !errors.As(err, &he) {
			t.Fatalf("err = %v, want a host name verification error", err)
		}
	})
	t.Run("unknown authority", func(t *testing.T) {
		_, _, err := dialTest(t, nil, "wss://127.0.0.1:"+port)
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("err = %v, want a certificate error", err)
		}
	})
	t.Run("InsecureSkipVerify is ignored", func(t *testing.T) {
		d := &Dialer{dialContext: (&net.Dialer{}).DialContext, tlsConfig: &tls.Config{InsecureSkipVerify: true}}
		_, _, err := dialTest(t, d, "wss://127.0.0.1:"+port)
		if err == nil {
			t.Fatal("an untrusted certificate was accepted")
		}
	})
}
