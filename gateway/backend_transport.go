package gateway

import (
	"crypto/sha256"
	"crypto/tls"
	"net/http"
	"net/url"
	"sync"
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
