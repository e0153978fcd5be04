package policies

import (
	"crypto/sha256"
	"crypto/tls"
	"net/http"
	"net/url"
	"sync"
)

// calloutClients are send-request's HTTP clients for calls that present a
// client certificate or go through a proxy (their children
// <authentication-certificate> and <proxy>): one client, and connection
// pool, per distinct pair, cloned from the kit's client.
type calloutClients struct {
	mu sync.Mutex
	by map[calloutKey]*http.Client
}

type calloutKey struct {
	cert  [32]byte
	proxy string
}

const maxCalloutClients = 64

// calloutClient returns the client for a call with cert and proxy (the
// kit's own client when both are nil).
func (k *kit) calloutClient(cert *tls.Certificate, proxy *url.URL) *http.Client {
	if cert == nil && proxy == nil {
		return k.client
	}
	var key calloutKey
	if cert != nil && len(cert.Certificate) > 0 {
		key.cert = sha256.Sum256(cert.Certificate[0])
	}
	if proxy != nil {
		key.proxy = proxy.String()
	}
	cc := &k.callouts
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c := cc.by[key]; c != nil {
		return c
	}
	if cc.by == nil || len(cc.by) >= maxCalloutClients {
		for _, c := range cc.by {
			c.CloseIdleConnections()
		}
		cc.by = map[calloutKey]*http.Client{}
	}
	// The client's transport without its wrappers (telemetry,
	// TransportWrapper), cloned, then wrapped again as it is.
	base, ok := innermostTransport(k.client.Transport).(*http.Transport)
	if !ok || base == nil {
		base = DefaultHTTPClient().Transport.(*http.Transport)
	}
	tr := base.Clone()
	if cert != nil {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if base.TLSClientConfig != nil {
			cfg = base.TLSClientConfig.Clone()
		}
		cfg.Certificates = []tls.Certificate{*cert}
		tr.TLSClientConfig = cfg
	}
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	}
	c := &http.Client{Transport: wrapLike(k.client.Transport, tr), CheckRedirect: k.client.CheckRedirect, Timeout: k.client.Timeout}
	cc.by[key] = c
	return c
}
