package csharp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"reflect"
	"strings"

	"software.sslmate.com/src/go-pkcs12"
)

// Certificates and RSA keys, as policies that sign with a certificate use
// them: new X509Certificate2(bytes) and (bytes, password) (a PFX/PKCS #12
// with its key, or a DER or PEM certificate), its Subject, Issuer,
// Thumbprint, SerialNumber, NotBefore, NotAfter, HasPrivateKey,
// GetRSAPrivateKey() and GetRSAPublicKey(); RSA.Create() with
// ImportFromPem(pem), SignData(data, HashAlgorithmName.SHA256,
// RSASignaturePadding.Pkcs1) and VerifyData(data, signature, hash,
// padding), KeySize.

// X509Source is a context model type that is an X509Certificate2 in C#
// (the engine's client and deployment certificates): the members its Go
// type does not have itself are X509Certificate2's, run on what it gives.
type X509Source interface {
	X509Cert() *X509Cert
}

// NewX509Cert is a certificate and its private key (nil: none) as an
// X509Certificate2.
func NewX509Cert(c *x509.Certificate, key crypto.PrivateKey) *X509Cert {
	if c == nil {
		return nil
	}
	return &X509Cert{c: c, key: key}
}

var x509SourceType = reflect.TypeFor[X509Source]()

func isX509Source(t reflect.Type) bool { return t != nil && t.Implements(x509SourceType) }

// x509Fallback is X509Certificate2's property name for a model type that
// is an X509Source and lacks it (nil otherwise).
func x509Fallback(t *Type, name string) *builtin {
	if t.K != KGo || !isX509Source(t.Go) {
		return nil
	}
	return props[KX509][name]
}

// X509Cert is an X509Certificate2 made in an expression.
type X509Cert struct {
	c   *x509.Certificate
	key crypto.PrivateKey // nil without one
}

// HasKey reports whether the certificate has its private key.
func (x *X509Cert) HasKey() bool { return x != nil && x.key != nil }

// String is X509Certificate2.ToString(): its subject.
func (x *X509Cert) String() string { return "[Subject]\n  " + x.c.Subject.String() }

// RSAKey is an RSA key (System.Security.Cryptography.RSA): a private key,
// or a public key only.
type RSAKey struct {
	priv *rsa.PrivateKey
	pub  *rsa.PublicKey
}

// String is RSA.ToString(): its .NET type name.
func (k *RSAKey) String() string { return "System.Security.Cryptography.RSAImplementation+RSAOpenSsl" }

var (
	tX509 = &Type{K: KX509, Name: "X509Certificate2"}
	tRSA  = &Type{K: KRSA, Name: "RSA"}
)

// maxCertBytes bounds what new X509Certificate2 reads.
const maxCertBytes = 1 << 20

func cryptoErr(msg string) error { return exc("CryptographicException", "%s", msg) }

// newX509 reads a certificate as .NET's constructor does: PKCS #12 (with
// its private key), DER or PEM.
func newX509(data []byte, password string) (*X509Cert, error) {
	if len(data) == 0 {
		return nil, exc("ArgumentException", "Array may not be empty or null.")
	}
	if len(data) > maxCertBytes {
		return nil, cryptoErr("The certificate data is too large.")
	}
	if c, err := x509.ParseCertificate(data); err == nil {
		return &X509Cert{c: c}, nil
	}
	if b, _ := pem.Decode(data); b != nil && b.Type == "CERTIFICATE" {
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, cryptoErr("Cannot find the requested object.")
		}
		return &X509Cert{c: c}, nil
	}
	key, c, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if strings.Contains(err.Error(), "password") {
			return nil, cryptoErr("The specified network password is not correct.")
		}
		return nil, cryptoErr("Cannot find the requested object.")
	}
	return &X509Cert{c: c, key: key}, nil
}

// rsaHash is a HashAlgorithmName's hash.
func rsaHash(name any) (crypto.Hash, error) {
	switch name {
	case "SHA256":
		return crypto.SHA256, nil
	case "SHA384":
		return crypto.SHA384, nil
	case "SHA512":
		return crypto.SHA512, nil
	case "SHA1":
		return crypto.SHA1, nil
	}
	return 0, cryptoErr("'" + catStr(name) + "' is not a known hash algorithm.")
}

func digest(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA384:
		s := sha512.Sum384(data)
		return s[:]
	case crypto.SHA512:
		s := sha512.Sum512(data)
		return s[:]
	case crypto.SHA1:
		s := sha1.Sum(data)
		return s[:]
	}
	s := sha256.Sum256(data)
	return s[:]
}

// rsaArgs reads SignData's and VerifyData's arguments: the key, n byte
// arrays, the HashAlgorithmName and the RSASignaturePadding.
func rsaArgs(a []any, n int) (k *RSAKey, bufs [][]byte, h crypto.Hash, pad string, err error) {
	if k, err = rsaArg(a[0]); err != nil {
		return
	}
	for _, v := range a[1 : 1+n] {
		b, err := bytesArg(v)
		if err != nil {
			return nil, nil, 0, "", err
		}
		bufs = append(bufs, b)
	}
	if h, err = rsaHash(a[1+n]); err != nil {
		return
	}
	if pad, _ = a[2+n].(string); pad != "Pkcs1" && pad != "Pss" {
		err = cryptoErr("Unknown padding mode.")
	}
	return
}

func rsaArg(v any) (*RSAKey, error) {
	k, ok := v.(*RSAKey)
	if !ok || k == nil {
		return nil, errNull
	}
	return k, nil
}

func registerX509() {
	S, B := tString, tBool
	for _, params := range [][]*Type{ts(tBytes), ts(tBytes, S)} {
		static("X509Certificate2", "new", params, tX509, func(a []any) (any, error) {
			data, err := bytesArg(a[0])
			if err != nil {
				return nil, err
			}
			pw := ""
			if len(a) > 1 {
				pw, _ = a[1].(string)
			}
			return newX509(data, pw)
		}, nil)
	}
	cert := func(v any) (*X509Cert, error) {
		if s, ok := v.(X509Source); ok && !isNilPtr(v) {
			if x := s.X509Cert(); x != nil {
				return x, nil
			}
			return nil, errNull
		}
		x, ok := v.(*X509Cert)
		if !ok || x == nil {
			return nil, errNull
		}
		return x, nil
	}
	for _, p := range []struct {
		name string
		t    *Type
		get  func(*X509Cert) any
	}{
		{"Subject", S, func(x *X509Cert) any { return x.c.Subject.String() }},
		{"Issuer", S, func(x *X509Cert) any { return x.c.Issuer.String() }},
		{"SerialNumber", S, func(x *X509Cert) any { return strings.ToUpper(x.c.SerialNumber.Text(16)) }},
		{"Thumbprint", S, func(x *X509Cert) any {
			s := sha1.Sum(x.c.Raw)
			return strings.ToUpper(hex.EncodeToString(s[:]))
		}},
		// local time, Kind Local, as .NET gives them (the local zone is UTC)
		{"NotBefore", tDateTime, func(x *X509Cert) any { return x.c.NotBefore.In(locLocal) }},
		{"NotAfter", tDateTime, func(x *X509Cert) any { return x.c.NotAfter.In(locLocal) }},
		// X500DistinguishedName, whose Name APIM's types table lists
		{"SubjectName", tX500, func(x *X509Cert) any { return &X500Name{Name: x.c.Subject.String()} }},
		{"IssuerName", tX500, func(x *X509Cert) any { return &X500Name{Name: x.c.Issuer.String()} }},
		{"HasPrivateKey", B, func(x *X509Cert) any { return x.key != nil }},
		{"RawData", tBytes, func(x *X509Cert) any { return append([]byte(nil), x.c.Raw...) }},
	} {
		get := p.get
		prop(KX509, p.name, p.t, func(a []any) (any, error) {
			x, err := cert(a[0])
			if err != nil {
				return nil, err
			}
			return get(x), nil
		}, nil)
	}
	method(KX509, "GetRSAPrivateKey", ts(), tRSA, func(a []any) (any, error) {
		x, err := cert(a[0])
		if err != nil {
			return nil, err
		}
		if k, ok := x.key.(*rsa.PrivateKey); ok {
			return &RSAKey{priv: k, pub: &k.PublicKey}, nil
		}
		return nil, nil
	}, nil)
	method(KX509, "GetRSAPublicKey", ts(), tRSA, func(a []any) (any, error) {
		x, err := cert(a[0])
		if err != nil {
			return nil, err
		}
		if k, ok := x.c.PublicKey.(*rsa.PublicKey); ok {
			return &RSAKey{pub: k}, nil
		}
		return nil, nil
	}, nil)
	method(KX509, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)

	// RSA
	static("RSA", "Create", ts(), tRSA, func([]any) (any, error) { return &RSAKey{}, nil }, nil)
	method(KRSA, "ImportFromPem", ts(S), tVoid, func(a []any) (any, error) {
		k, err := rsaArg(a[0])
		if err != nil {
			return nil, err
		}
		text, _ := a[1].(string)
		b, _ := pem.Decode([]byte(text))
		if b == nil {
			return nil, exc("ArgumentException", "No supported key formats were found. Check that the input represents the contents of a PEM-encoded key file, not the path to such a file.")
		}
		var key any
		switch b.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(b.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(b.Bytes)
		default:
			err = errNull
		}
		switch x := key.(type) {
		case *rsa.PrivateKey:
			if err == nil {
				k.priv, k.pub = x, &x.PublicKey
				return nil, nil
			}
		case *rsa.PublicKey:
			if err == nil {
				k.priv, k.pub = nil, x
				return nil, nil
			}
		}
		return nil, cryptoErr("ASN1 corrupted data.")
	}, nil)
	prop(KRSA, "KeySize", tInt, func(a []any) (any, error) {
		k, err := rsaArg(a[0])
		if err != nil {
			return nil, err
		}
		if k.pub == nil {
			return 2048, nil // RSA.Create()'s key before one is made or imported
		}
		return k.pub.N.BitLen(), nil
	}, nil)
	method(KRSA, "SignData", ts(tBytes, S, S), tBytes, func(a []any) (any, error) {
		k, bufs, h, pad, err := rsaArgs(a, 1)
		if err != nil {
			return nil, err
		}
		if k.priv == nil {
			return nil, cryptoErr("The key does not have a private key to sign with.")
		}
		if pad == "Pss" {
			return rsa.SignPSS(rand.Reader, k.priv, h, digest(h, bufs[0]), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		return rsa.SignPKCS1v15(rand.Reader, k.priv, h, digest(h, bufs[0]))
	}, nil)
	method(KRSA, "VerifyData", ts(tBytes, tBytes, S, S), B, func(a []any) (any, error) {
		k, bufs, h, pad, err := rsaArgs(a, 2)
		if err != nil || k.pub == nil {
			return false, err
		}
		if pad == "Pss" {
			return rsa.VerifyPSS(k.pub, h, digest(h, bufs[0]), bufs[1], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil, nil
		}
		return rsa.VerifyPKCS1v15(k.pub, h, digest(h, bufs[0]), bufs[1]) == nil, nil
	}, nil)
	for _, h := range []string{"SHA256", "SHA384", "SHA512", "SHA1"} {
		h := h
		staticProp("HashAlgorithmName", h, S, func([]any) (any, error) { return h, nil }, nil)
	}
	for _, p := range []string{"Pkcs1", "Pss"} {
		p := p
		staticProp("RSASignaturePadding", p, S, func([]any) (any, error) { return p, nil }, nil)
	}
}

// X500Name is .NET's X500DistinguishedName with the one member APIM's
// types table allows, Name (the same RFC 2253 text as Subject or Issuer).
type X500Name struct{ Name string }

var tX500 = &Type{K: KGo, Name: "X500DistinguishedName", Go: reflect.TypeOf(&X500Name{})}
