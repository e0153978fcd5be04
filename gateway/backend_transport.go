package gateway

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// certTransport sends each backend request over base, or, when a policy
// chose a client certificate (authentication-certificate) or an outbound
// proxy (proxy) for it, over a clone of base that presents that
// certificate and goes through that proxy. TLS client authentication
// happens at the handshake and proxying decides where connections go, so
// connections are per (certificate, proxy): one transport (and connection
// pool) per distinct pair, at most maxCertTransports of them.
type certTransport struct {
	base *http.Transport
	mu   sync.Mutex
	by   map[transportKey]*http.Transport
}

type transportKey struct {
	cert  [32]byte
	proxy string
}

const maxCertTransports = 64

func newCertTransport(base *http.Transport) *certTransport {
	return &certTransport{base: base, by: map[transportKey]*http.Transport{}}
}

func (c *certTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	x, _ := req.Context().Value(proxyKey{}).(*exchange)
	if x == nil || x.st == nil || (x.st.BackendCertificate == nil && x.st.BackendProxy == nil) {
		return c.base.RoundTrip(req)
	}
	return c.transportFor(x.st.BackendCertificate, x.st.BackendProxy).RoundTrip(req)
}

func (c *certTransport) transportFor(cert *tls.Certificate, proxy *url.URL) *http.Transport {
	var key transportKey
	if cert != nil && len(cert.Certificate) > 0 {
		key.cert = sha256.Sum256(cert.Certificate[0])
	}
	if proxy != nil {
		key.proxy = proxy.String()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.by[key]; t != nil {
		return t
	}
	if len(c.by) >= maxCertTransports { // many rotations: start over
		for k, t := range c.by {
			t.CloseIdleConnections()
			delete(c.by, k)
		}
	}
	t := c.base.Clone()
	if cert != nil {
		cfg := &tls.Config{}
		if c.base.TLSClientConfig != nil {
			cfg = c.base.TLSClientConfig.Clone()
		}
		cfg.Certificates = []tls.Certificate{*cert}
		t.TLSClientConfig = cfg
	}
	if proxy != nil {
		t.Proxy = http.ProxyURL(proxy)
	}
	c.by[key] = t
	return t
}

// CloseIdleConnections closes every pool's idle connections.
func (c *certTransport) CloseIdleConnections() {
	c.base.CloseIdleConnections()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.by {
		t.CloseIdleConnections()
	}
}

type clientCertKey struct{}

// withClientCert carries authentication-certificate's choice to the
// WebSocket backend dial (nil: none).
func withClientCert(ctx context.Context, cert *tls.Certificate) context.Context {
	if cert == nil {
		return ctx
	}
	return context.WithValue(ctx, clientCertKey{}, cert)
}

func clientCertFrom(ctx context.Context) *tls.Certificate {
	c, _ := ctx.Value(clientCertKey{}).(*tls.Certificate)
	return c
}

type proxyKeyCtx struct{}

// withProxy carries the proxy policy's choice to the WebSocket backend dial
// (nil: direct).
func withProxy(ctx context.Context, proxy *url.URL) context.Context {
	if proxy == nil {
		return ctx
	}
	return context.WithValue(ctx, proxyKeyCtx{}, proxy)
}

// dialVia connects to addr through the HTTP proxy in ctx with CONNECT (Basic
// proxy authentication when the proxy URL has a user), or directly.
func dialVia(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), addr string) (net.Conn, error) {
	proxy, _ := ctx.Value(proxyKeyCtx{}).(*url.URL)
	if proxy == nil {
		return dial(ctx, "tcp", addr)
	}
	paddr := proxy.Host
	if proxy.Port() == "" {
		paddr = net.JoinHostPort(proxy.Hostname(), "80")
	}
	conn, err := dial(ctx, "tcp", paddr)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", paddr, err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy %s refused CONNECT: %s", paddr, res.Status)
	}
	if br.Buffered() > 0 { // the proxy must not speak before the backend
		conn.Close()
		return nil, fmt.Errorf("proxy %s sent data after CONNECT", paddr)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}
