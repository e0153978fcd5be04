package engine

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"
)

// Certificate is context.Request.Certificate: the client certificate the
// caller presented over TLS (nil without one), with the members of .NET's
// X509Certificate2 that policies read.
type Certificate struct {
	Subject      string // RFC 2253 form: CN=a,O=Contoso\, Inc.,C=US
	Issuer       string
	Thumbprint   string // SHA-1 of the DER bytes, upper-case hex
	SerialNumber string // upper-case hex
	NotBefore    time.Time
	NotAfter     time.Time
	DnsNames     []string // subject alternative DNS names

	cert  *x509.Certificate
	chain []*x509.Certificate // intermediates the client sent after it
}

// NewCertificate wraps a presented chain (leaf first).
func NewCertificate(chain []*x509.Certificate) *Certificate {
	if len(chain) == 0 {
		return nil
	}
	c := chain[0]
	sum := sha1.Sum(c.Raw)
	return &Certificate{
		Subject:      c.Subject.String(),
		Issuer:       c.Issuer.String(),
		Thumbprint:   strings.ToUpper(hex.EncodeToString(sum[:])),
		SerialNumber: strings.ToUpper(c.SerialNumber.Text(16)),
		NotBefore:    c.NotBefore,
		NotAfter:     c.NotAfter,
		DnsNames:     c.DNSNames,
		cert:         c,
		chain:        chain[1:],
	}
}

// X509 returns the parsed leaf certificate.
func (c *Certificate) X509() *x509.Certificate { return c.cert }

// Intermediates returns the other certificates the client sent.
func (c *Certificate) Intermediates() []*x509.Certificate { return c.chain }

// String is the subject, as .NET's ToString gives a readable name.
func (c *Certificate) String() string { return c.Subject }

// SetClientCertificate sets context.Request.Certificate from the TLS
// connection's peer certificates (leaf first).
func (s *State) SetClientCertificate(chain []*x509.Certificate) {
	s.req.Certificate = NewCertificate(chain)
}
