package engine

import (
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"time"
	"tollgate/engine/csharp"
)

// Certificate is context.Request.Certificate: the client certificate the
// caller presented over TLS (nil without one), with the members of .NET's
// X509Certificate2 that policies read.
type Certificate struct {
	Subject      string // RFC 2253 form: CN=a,O=Contoso\, Inc.,C=US
	Issuer       string
	Thumbprint   string    // SHA-1 of the DER bytes, upper-case hex
	SerialNumber string    // upper-case hex
	NotBefore    time.Time `csharp:"local"` // local time, Kind Local, as .NET's X509Certificate2 gives it
	NotAfter     time.Time `csharp:"local"`
	DnsNames     []string  // subject alternative DNS names
	// SubjectName and IssuerName are .NET's X500DistinguishedName: .Name
	// is the same text as Subject and Issuer.
	SubjectName DistinguishedName
	IssuerName  DistinguishedName

	cert  *x509.Certificate
	chain []*x509.Certificate // intermediates the client sent after it
	// key is the private key of a deployment certificate uploaded with one
	// (GetRSAPrivateKey() in C#); nil for a client's.
	key crypto.PrivateKey
}

// X509Cert is the certificate with its private key (nil without one) as
// C#'s X509Certificate2, whose members the Certificate does not have as
// fields (HasPrivateKey, RawData, GetRSAPrivateKey()...) run on it
// (csharp.X509Source). The value is opaque: an expression that reaches it
// sees no key.
func (c *Certificate) X509Cert() *csharp.X509Cert {
	if c == nil {
		return nil
	}
	return csharp.NewX509Cert(c.cert, c.key)
}

// NewCertificateWithKey is NewCertificate for a certificate uploaded with
// its private key (context.Deployment.Certificates).
func NewCertificateWithKey(chain []*x509.Certificate, key crypto.PrivateKey) *Certificate {
	c := NewCertificate(chain)
	if c != nil {
		c.key = key
	}
	return c
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
		SubjectName:  DistinguishedName{Name: c.Subject.String()},
		IssuerName:   DistinguishedName{Name: c.Issuer.String()},
		cert:         c,
		chain:        chain[1:],
	}
}

// DistinguishedName is .NET's X500DistinguishedName (Name only).
type DistinguishedName struct {
	Name string
}

// String is the name.
func (d DistinguishedName) String() string { return d.Name }

// Verify is X509Certificate2.Verify(): whether the certificate chains, with
// the intermediates the client sent, to a root the gateway's system trust
// store holds, and is valid now (any extended key usage). tollgate checks
// no revocation here (no CRL or OCSP fetch): Verify is VerifyNoRevocation;
// validate-client-certificate checks CRLs.
func (c *Certificate) Verify() bool {
	if c == nil {
		return false
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		return false
	}
	return c.verifyWith(roots, time.Now())
}

// VerifyNoRevocation is APIM's Verify without the revocation check.
func (c *Certificate) VerifyNoRevocation() bool { return c.Verify() }

func (c *Certificate) verifyWith(roots *x509.CertPool, now time.Time) bool {
	inter := x509.NewCertPool()
	for _, ic := range c.chain {
		inter.AddCert(ic)
	}
	_, err := c.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
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
