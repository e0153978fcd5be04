package gateway

import (
	"crypto/sha256"
	"crypto/tls"
	"net/http"
	"sync"
)

// certTransport sends each backend request over base, or, when a policy
// chose a client certificate for it (authentication-certificate), over a
// clone of base that presents that certificate. TLS client authentication
// happens at the handshake, so connections are per certificate: one
// transport (and connection pool) per distinct certificate, at most
// maxCertTransports of them.
type certTransport struct {
	base *http.Transport
	mu   sync.Mutex
	by   map[[32]byte]*http.Transport
}

const maxCertTransports = 64

func newCertTransport(base *http.Transport) *certTransport {
	return &certTransport{base: base, by: map[[32]byte]*http.Transport{}}
}

func (c *certTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	call, _ := req.Context().Value(proxyKey{}).(*proxyCall)
	if call == nil || call.st.BackendCertificate == nil {
		return c.base.RoundTrip(req)
	}
	return c.transportFor(call.st.BackendCertificate).RoundTrip(req)
}

func (c *certTransport) transportFor(cert *tls.Certificate) *http.Transport {
	var key [32]byte
	if len(cert.Certificate) > 0 {
		key = sha256.Sum256(cert.Certificate[0])
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
	cfg := &tls.Config{}
	if c.base.TLSClientConfig != nil {
		cfg = c.base.TLSClientConfig.Clone()
	}
	cfg.Certificates = []tls.Certificate{*cert}
	t.TLSClientConfig = cfg
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
