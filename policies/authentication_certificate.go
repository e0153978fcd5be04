package policies

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"tollgate/engine"
	"tollgate/internal/boundcache"
)

// <authentication-certificate certificate-id="backend-client" />
// <authentication-certificate thumbprint="CA06F56B258B7A0D4F2B05470939478651151984" />
// <authentication-certificate body="{{backend-client-pem}}" />
// <authentication-certificate certificate-file="certs/client.pem" key-file="certs/client.key" />   (tollgate)
//
// The HTTP backend call presents this client certificate. Certificates are
// read at load: by name or thumbprint from the gateway's certificate
// folder (Deps.Certificates, --certificates), from PEM text (a named value)
// in body, or from PEM files next to the policy.
type authenticationCertificate struct {
	cert *tls.Certificate
	// body and password when body is an expression (APIM's Key Vault
	// example: the certificate as a byte[] at run time, PFX or PEM).
	body     *engine.Value
	password engine.Str
	// certs: the certificates read from run-time bodies, by the SHA-256 of
	// body and password: a PFX's key derivation is slow, and one
	// *tls.Certificate per content keeps one backend connection pool for
	// it. At most maxRuntimeCerts, as the backend keeps at most 64 pools.
	certs *boundcache.Map[[32]byte, *tls.Certificate]
}

const maxRuntimeCerts = 64

// runtimeCert is the certificate a run-time body holds, read once.
func (a *authenticationCertificate) runtimeCert(data []byte, password string) (*tls.Certificate, error) {
	h := sha256.New()
	h.Write(data)
	h.Write([]byte{0})
	h.Write([]byte(password))
	var k [32]byte
	h.Sum(k[:0])
	if c, ok := a.certs.Get(k); ok {
		return c, nil
	}
	c, err := readClientCert(data, password)
	if err != nil {
		return nil, err
	}
	return a.certs.Put(k, c), nil
}

// readClientCert reads a certificate and its private key: PEM text (the
// chain and the key), or PKCS#12 (PFX) bytes with their password, as Key
// Vault exports them.
func readClientCert(data []byte, password string) (*tls.Certificate, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		c, err := tls.X509KeyPair(data, data)
		if err != nil {
			return nil, fmt.Errorf("the certificate is PEM but does not load: %s", pemErr(err))
		}
		return &c, nil
	}
	key, leaf, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("the certificate is neither PEM nor a PFX that opens with the password given: %s", pemErr(err))
	}
	c := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
	for _, ca := range chain {
		c.Certificate = append(c.Certificate, ca.Raw)
	}
	return c, nil
}

// NamedCertificate is a client certificate (with its key) the gateway
// holds, found by name (APIM's certificate-id) or thumbprint.
type NamedCertificate struct {
	Name string
	Cert tls.Certificate
}

// Thumbprint is the certificate's thumbprint (certThumbprint), as
// APIM's credentials.certificate lists name a backend's certificate.
func (c *NamedCertificate) Thumbprint() string { return certThumbprint(&c.Cert) }

// certThumbprint is the SHA-1 of the leaf's DER bytes in upper-case hex, as
// APIM shows certificates.
func certThumbprint(c *tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	sum := sha1.Sum(c.Certificate[0])
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func (k *kit) parseAuthenticationCertificate(p *engine.Parser) engine.Step {
	a := &authenticationCertificate{}
	var given []string
	for _, n := range []string{"thumbprint", "certificate-id", "body", "certificate-file"} {
		if p.Has(n) {
			given = append(given, n)
		}
	}
	if len(given) != 1 {
		p.Errorf("<authentication-certificate> takes exactly one of \"thumbprint\", \"certificate-id\", \"body\" or \"certificate-file\" (given: %s)", quoteList(given))
	}
	if p.Has("password") {
		if a.password = p.Str("password", ""); !p.Has("body") {
			p.ErrorAt(p.Node().Attr("password").Pos, "password goes with body (a PFX certificate)")
		}
	}
	if p.Has("body") {
		if b := p.Str("body", ""); !b.IsConst() { // a run-time certificate: byte[] (PFX or PEM) or text
			v := p.Value("body")
			a.body, a.certs = &v, boundcache.New[[32]byte, *tls.Certificate](maxRuntimeCerts)
			return a
		}
	}
	lit := func(name string) (string, engine.Pos) {
		v := p.Str(name, "")
		if !v.IsConst() {
			p.ErrorAt(p.Node().Attr(name).ValuePos, "%s must be written out or a {{named value}}: the certificate is read at load, not per request", name)
			return "", engine.Pos{}
		}
		return strings.TrimSpace(v.Const()), p.Node().Attr(name).ValuePos
	}
	switch {
	case p.Has("thumbprint"):
		tp, pos := lit("thumbprint")
		tp = strings.ToUpper(strings.ReplaceAll(tp, " ", ""))
		for i := range k.certificates {
			if certThumbprint(&k.certificates[i].Cert) == tp {
				a.cert = &k.certificates[i].Cert
			}
		}
		if a.cert == nil && tp != "" {
			p.ErrorAt(pos, "no certificate with thumbprint %s in the gateway's certificates (--certificates)", tp)
		}
	case p.Has("certificate-id"):
		id, pos := lit("certificate-id")
		for i := range k.certificates {
			if k.certificates[i].Name == id {
				a.cert = &k.certificates[i].Cert
			}
		}
		if a.cert == nil && id != "" {
			p.ErrorAt(pos, "no certificate named %q in the gateway's certificates (--certificates: NAME.pem files holding a certificate and its key)", id)
		}
	case p.Has("body"):
		body, pos := lit("body")
		if body != "" && p.Has("password") { // a PFX written out: base64, as APIM's byte[] would be
			pfx, err := base64.StdEncoding.DecodeString(body)
			pw := a.password
			if err != nil || !pw.IsConst() {
				p.ErrorAt(pos, "body with a password is a PFX certificate in base64, and the password is written out or a {{named value}}")
			} else if c, err := readClientCert(pfx, pw.Const()); err != nil {
				p.ErrorAt(pos, "%v", err)
			} else {
				a.cert = c
			}
		} else if body != "" {
			c, err := tls.X509KeyPair([]byte(body), []byte(body))
			if err != nil {
				p.ErrorAt(pos, "body must be PEM holding the certificate (chain) and its private key: %s", pemErr(err))
			} else {
				a.cert = &c
			}
		}
	case p.Has("certificate-file"):
		cf := p.RequiredLitStr("certificate-file")
		kf := p.RequiredLitStr("key-file")
		if cf != "" && kf != "" {
			base := filepath.Dir(p.Node().Pos.File)
			rel := func(f string) string {
				if filepath.IsAbs(f) {
					return f
				}
				return filepath.Join(base, f)
			}
			c, err := loadKeyPair(rel(cf), rel(kf))
			if err != nil {
				p.ErrorAt(p.Node().Attr("certificate-file").ValuePos, "%v", err)
			} else {
				a.cert = c
			}
		}
	}
	if p.Has("key-file") && !p.Has("certificate-file") {
		p.LitStr("key-file", "")
		p.ErrorAt(p.Node().Attr("key-file").Pos, "key-file goes with certificate-file")
	}
	return a
}

// pemErr keeps a parse error short and free of key material.
func pemErr(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("cannot load the client certificate: %s", pemErr(err))
	}
	return &c, nil
}

// LoadCertificateDir reads every NAME.pem in dir (a certificate chain and
// its private key in one file) as the certificate named NAME.
func LoadCertificateDir(dir string) ([]NamedCertificate, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder of NAME.pem files", dir)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil {
		return nil, err
	}
	var out []NamedCertificate
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		c, err := tls.X509KeyPair(data, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %s", f, pemErr(err))
		}
		out = append(out, NamedCertificate{Name: strings.TrimSuffix(filepath.Base(f), ".pem"), Cert: c})
	}
	return out, nil
}

func (a *authenticationCertificate) Run(_ context.Context, s *engine.State) error {
	cert := a.cert
	if a.body != nil {
		v, err := a.body.Eval(s)
		if err != nil {
			return err
		}
		var data []byte
		switch x := v.(type) {
		case []byte:
			data = x
		case string: // PEM text, or a PFX in base64
			if data = []byte(x); !strings.Contains(x, "-----BEGIN") {
				if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(x)); err == nil {
					data = d
				}
			}
		case nil:
			return engine.NewPolicyError(engine.ReasonExpression, 500, "authentication-certificate: the body expression gave null", nil)
		default:
			return engine.NewPolicyError(engine.ReasonExpression, 500, fmt.Sprintf("authentication-certificate: the body expression gave a %T, not a byte[] or text", v), nil)
		}
		password, err := a.password.Eval(s)
		if err != nil {
			return err
		}
		if cert, err = a.runtimeCert(data, password); err != nil {
			return engine.NewPolicyError(engine.ReasonExpression, 500, "authentication-certificate: "+err.Error(), nil)
		}
	}
	if cert != nil {
		s.BackendCertificate = cert
		if s.Trace() != nil {
			s.Tracef("client certificate %s", certThumbprint(cert))
		}
	}
	return nil
}
