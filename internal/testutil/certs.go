package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// TestCert is a certificate with its key, for TLS tests.
type TestCert struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// CertOptions describe a certificate to issue.
type CertOptions struct {
	Subject   pkix.Name
	DNSNames  []string
	NotBefore time.Time // zero: an hour ago
	NotAfter  time.Time // zero: in a day
	CA        bool
	Serial    int64    // zero: 1
	CRLURLs   []string // CRL distribution points
}

// IssueCert makes a certificate signed by parent (self-signed when parent
// is nil), usable for TLS client and server authentication.
func IssueCert(tb testing.TB, o CertOptions, parent *TestCert) *TestCert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	if o.Serial == 0 {
		o.Serial = 1
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(o.Serial), Subject: o.Subject, DNSNames: o.DNSNames,
		NotBefore: o.NotBefore, NotAfter: o.NotAfter, IsCA: o.CA, BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		CRLDistributionPoints: o.CRLURLs,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &TestCert{Cert: c, Key: key}
}

// TLS returns the certificate as a tls.Certificate.
func (c *TestCert) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
}

// PEM returns the certificate and its key as PEM blocks.
func (c *TestCert) PEM(tb testing.TB) (cert, key []byte) {
	tb.Helper()
	der, err := x509.MarshalECPrivateKey(c.Key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// CRL returns a DER certificate revocation list signed by c that revokes
// the given serial numbers.
func (c *TestCert) CRL(tb testing.TB, serials ...int64) []byte {
	tb.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour)}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.Cert, c.Key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
