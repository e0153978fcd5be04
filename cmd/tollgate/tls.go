package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// certCheckEvery is how often the certificate files are looked at.
var certCheckEvery = 10 * time.Second

// certReloader serves the certificate in certFile/keyFile and picks up a
// rotated pair (cert-manager, certbot renewals) without a restart: at most
// once per checkEvery it looks at the files' modification times and reloads
// them when they changed. A pair that does not load keeps the previous one.
type certReloader struct {
	certFile, keyFile string
	checkEvery        time.Duration
	onError           func(error)

	mu        sync.Mutex
	cert      *tls.Certificate
	certMod   time.Time
	keyMod    time.Time
	lastCheck time.Time
}

func newCertReloader(certFile, keyFile string, onError func(error)) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, checkEvery: certCheckEvery, onError: onError}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) load() error {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return fmt.Errorf("tls key: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("tls certificate %s / key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert, r.certMod, r.keyMod = &cert, cs.ModTime(), ks.ModTime()
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.lastCheck) >= r.checkEvery {
		r.lastCheck = now
		cs, err1 := os.Stat(r.certFile)
		ks, err2 := os.Stat(r.keyFile)
		if err1 == nil && err2 == nil && (!cs.ModTime().Equal(r.certMod) || !ks.ModTime().Equal(r.keyMod)) {
			prev := r.cert
			if err := r.load(); err != nil {
				r.cert = prev // keep serving the old pair
				if r.onError != nil {
					r.onError(err)
				}
			}
		}
	}
	return r.cert, nil
}

// tlsConfig is the listener's TLS configuration: TLS 1.2 and later, and
// HTTP/1.1 only, since WebSocket upgrades ride on HTTP/1.1 (tollgate does
// not implement RFC 8441's WebSockets over HTTP/2), unless the client
// offers h2 and not http/1.1 (gRPC clients do): it gets h2. Browsers and
// other clients that offer both keep HTTP/1.1. Once clientCerts is
// true (a validate-client-certificate policy was loaded) new connections
// ask the client for a certificate, without requiring or verifying one:
// the policy decides.
func (r *certReloader) tlsConfig(clientCerts *atomic.Bool) *tls.Config {
	base := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		NextProtos:     []string{"http/1.1"},
	}
	withCerts := base.Clone()
	withCerts.ClientAuth = tls.RequestClientCert
	h2, h2Certs := base.Clone(), withCerts.Clone()
	h2.NextProtos, h2Certs.NextProtos = []string{"h2"}, []string{"h2"}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		onlyH2 := slices.Contains(hello.SupportedProtos, "h2") && !slices.Contains(hello.SupportedProtos, "http/1.1")
		certs := clientCerts != nil && clientCerts.Load()
		switch {
		case onlyH2 && certs:
			return h2Certs, nil
		case onlyH2:
			return h2, nil
		case certs:
			return withCerts, nil
		}
		return nil, nil
	}
	return base
}

// loadClientCAs reads the PEM roots for client certificates (nil: none given).
func loadClientCAs(path string) (*x509.CertPool, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
