package gateway

import (
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"

	"tollgate/gateway/upstream"
	"tollgate/policies"
)

// The REST backend clients Options.BackendTransport names.
const (
	BackendUpstream = "upstream" // gateway/upstream: synchronous, pooled HTTP/1.1
	BackendNetHTTP  = "nethttp"  // net/http's Transport
)

// idleRoundTripper is a backend client with a connection pool.
type idleRoundTripper interface {
	http.RoundTripper
	CloseIdleConnections()
}

// newUpstream is the default REST client, with tr's pool sizes and TLS
// settings.
func newUpstream(tr *http.Transport) *upstream.Transport {
	return &upstream.Transport{
		DialContext:         tr.DialContext,
		TLSClientConfig:     tr.TLSClientConfig,
		TLSHandshakeTimeout: tr.TLSHandshakeTimeout,
		MaxIdleConnsPerHost: tr.MaxIdleConnsPerHost,
		MaxIdleConns:        tr.MaxIdleConns,
		MaxConnsPerHost:     tr.MaxConnsPerHost,
		IdleConnTimeout:     tr.IdleConnTimeout,
	}
}

// NewCalloutClient is an HTTP client for send-request call-outs
// (policies.Deps.HTTPClient) on the named client, kind being
// Options.BackendTransport's value: policies.DefaultHTTPClient's settings
// (no redirects followed, its pool sizes and timeouts), sent with
// gateway/upstream (BackendUpstream or "") or net/http's Transport
// (BackendNetHTTP). upstream does a call-out on the caller's goroutine
// with no goroutine per connection, as for REST backends; it stays off
// the event loops (upstream.Transport.OffLoop), so a request that was
// released for its call-out stays released. Requests that the
// environment's HTTP_PROXY/HTTPS_PROXY send to a proxy go over net/http,
// as REST backend calls do (upstream has no proxies).
func NewCalloutClient(kind string) (*http.Client, error) {
	c := policies.DefaultHTTPClient()
	switch kind {
	case BackendNetHTTP:
		return c, nil
	case "", BackendUpstream:
	default:
		return nil, fmt.Errorf("backend transport %q: want %q or %q", kind, BackendUpstream, BackendNetHTTP)
	}
	tmpl := c.Transport.(*http.Transport)
	up := newUpstream(tmpl)
	up.DialContext = nil // upstream's own dialer: net/http's settings
	up.OffLoop = true
	c.Transport = &calloutTransport{up: up, tmpl: tmpl, envProxy: envProxies(tmpl)}
	return c, nil
}

// calloutTransport is NewCalloutClient's transport: up, or tmpl for a
// request the environment's proxy settings send to a proxy.
type calloutTransport struct {
	up       *upstream.Transport
	tmpl     *http.Transport
	envProxy bool
}

func (c *calloutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.envProxy && proxied(c.tmpl, req) {
		return c.tmpl.RoundTrip(req)
	}
	return c.up.RoundTrip(req)
}

// CloseIdleConnections closes both clients' idle connections.
func (c *calloutTransport) CloseIdleConnections() {
	c.up.CloseIdleConnections()
	c.tmpl.CloseIdleConnections()
}

// envProxies: tmpl asks the environment's proxy settings and they name a
// proxy (envProxySet), so each request must ask tmpl where it goes
// (proxied) before it may take upstream.
func envProxies(tmpl *http.Transport) bool { return tmpl.Proxy != nil && envProxySet() }

// proxied: tmpl's proxy rules send req to a proxy (or cannot tell: an
// error, which tmpl then reports), so it goes over tmpl.
func proxied(tmpl *http.Transport, req *http.Request) bool {
	u, err := tmpl.Proxy(req)
	return err != nil || u != nil
}

// envProxySet: the environment names an outbound proxy for backends
// (HTTP_PROXY, HTTPS_PROXY), which net/http's Transport honours and
// upstream does not: then every request asks net/http's proxy rules.
func envProxySet() bool {
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// certTransport sends each backend request over base, or, when a policy
// chose a client certificate (authentication-certificate) or an outbound
// proxy (proxy) for it, over a clone of base that presents that
// certificate and goes through that proxy. TLS client authentication
// happens at the handshake and proxying decides where connections go, so
// connections are per (certificate, proxy): one transport (and connection
// pool) per distinct pair, at most maxCertTransports of them. Those are
// clones of tmpl (net/http's Transport: upstream has no proxies), as are
// requests the environment's HTTP_PROXY/HTTPS_PROXY send to a proxy when
// base is not tmpl.
type certTransport struct {
	base     idleRoundTripper
	tmpl     *http.Transport
	envProxy bool // base is not tmpl and the environment names a proxy
	mu       sync.Mutex
	by       map[transportKey]*http.Transport
}

type transportKey struct {
	cert  [32]byte
	proxy string
}

const maxCertTransports = 64

func newCertTransport(base idleRoundTripper, tmpl *http.Transport) *certTransport {
	c := &certTransport{base: base, tmpl: tmpl, by: map[transportKey]*http.Transport{}}
	if base != idleRoundTripper(tmpl) && envProxies(tmpl) {
		c.envProxy = true
	}
	return c
}

func (c *certTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	x, _ := req.Context().Value(proxyKey{}).(*exchange)
	var rt http.RoundTripper
	switch {
	case x != nil && x.st != nil && (x.st.BackendCertificate != nil || x.st.BackendProxy != nil):
		rt = c.transportFor(x.st.BackendCertificate, x.st.BackendProxy)
	case c.envProxy && proxied(c.tmpl, req):
		rt = c.tmpl
	default:
		rt = c.base
	}
	if _, ok := rt.(*upstream.Transport); !ok {
		upstream.NetHTTPBody(req) // a body in the exchange's room (outRequest): net/http's transport needs GetBody
	}
	return rt.RoundTrip(req)
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
	t := c.tmpl.Clone()
	if cert != nil {
		cfg := &tls.Config{}
		if c.tmpl.TLSClientConfig != nil {
			cfg = c.tmpl.TLSClientConfig.Clone()
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
	if c.base != idleRoundTripper(c.tmpl) {
		c.tmpl.CloseIdleConnections()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.by {
		t.CloseIdleConnections()
	}
}
