package policies

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

func TestAuthenticationCertificate(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	client := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gateway"}}, ca)
	certPEM, keyPEM := client.PEM(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "backend-client.pem"), append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.crt"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c.key"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	named, err := LoadCertificateDir(dir)
	if err != nil || len(named) != 1 || named[0].Name != "backend-client" {
		t.Fatalf("LoadCertificateDir: %v %v", named, err)
	}
	d := testDeps()
	d.Certificates = named
	tp := certThumbprint(&named[0].Cert)

	// compileIn compiles a policy file standing in dir (certificate-file is relative to it).
	compileIn := func(src string) (*engine.Plan, engine.ErrorList) {
		root, err := engine.Read(filepath.Join(dir, "policy.xml"), []byte("<policies><inbound>"+src+"</inbound><backend/><outbound/><on-error/></policies>"))
		if err != nil {
			t.Fatal(err)
		}
		c := engine.NewCompiler(Registry(d), engine.NewNamedValues(engine.NamedValue{Name: "client-pem", Value: string(certPEM) + string(keyPEM), Secret: true}))
		return c.Compile(root, "api", nil), c.Errors()
	}
	for _, src := range []string{
		`<authentication-certificate certificate-id="backend-client" />`,
		`<authentication-certificate thumbprint="` + tp + `" />`,
		`<authentication-certificate thumbprint="` + strings.ToLower(tp) + `" />`,
		`<authentication-certificate body="{{client-pem}}" />`,
		`<authentication-certificate certificate-file="c.crt" key-file="c.key" />`,
	} {
		plan, errs := compileIn(src)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", src, errs)
		}
		s := request("https://gw/chat")
		runInbound(plan, s)
		if s.BackendCertificate == nil || certThumbprint(s.BackendCertificate) != tp {
			t.Errorf("%s: certificate %v", src, s.BackendCertificate)
		}
		s.Release()
	}
	for _, c := range []struct{ src, want string }{
		{`<authentication-certificate certificate-id="544fe9ddf3b8f30fb490d90f" />`, `no certificate named "544fe9ddf3b8f30fb490d90f"`},
		{`<authentication-certificate thumbprint="CA06F56B258B7A0D4F2B05470939478651151984" />`, `no certificate with thumbprint CA06F56B258B7A0D4F2B05470939478651151984`},
		{`<authentication-certificate thumbprint="` + tp + `" password="x" />`, `password goes with body`},
		{`<authentication-certificate body="bm90IGEgcGZ4" password="x" />`, `neither PEM nor a PFX that opens with the password given`},
		{`<authentication-certificate body="not pem" />`, `body must be PEM`},
		{`<authentication-certificate />`, `takes exactly one of`},
		{`<authentication-certificate certificate-id="backend-client" thumbprint="AA" />`, `takes exactly one of`},
		{`<authentication-certificate certificate-file="missing.crt" key-file="c.key" />`, `cannot load the client certificate`},
		{`<authentication-certificate certificate-file="c.crt" />`, `needs the attribute "key-file"`},
	} {
		_, errs := compileIn(c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
		if strings.Contains(errs.Error(), "PRIVATE KEY") {
			t.Errorf("key material in an error: %v", errs)
		}
	}
}

// TestAuthenticationCertificateRuntime: APIM's example as written, the
// certificate a byte[] at run time (a PFX, as Key Vault exports it, or
// PEM); read once per content, and a bad one fails the request with no
// key material or password in the message.
func TestAuthenticationCertificateRuntime(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	client := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gateway"}}, ca)
	pfx, err := pkcs12.Modern.Encode(client.Key, client.Cert, []*x509.Certificate{ca.Cert}, "s3cret-pw")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := client.PEM(t)
	sum := sha1.Sum(client.Cert.Raw)
	tp := strings.ToUpper(hex.EncodeToString(sum[:]))
	plan := compile(t, testDeps(), `<authentication-certificate body="@(context.Variables.GetValueOrDefault<byte[]>(&quot;byteCertificate&quot;))" password="@((string)context.Variables[&quot;pw&quot;])" />`)
	run := func(body any, pw string) (*engine.State, bool) {
		s := request("https://gw/chat")
		s.Variables()["byteCertificate"], s.Variables()["pw"] = body, pw
		return s, runInbound(plan, s)
	}
	var first *tls.Certificate
	for _, tc := range []struct {
		name string
		body any
		pw   string
	}{
		{"PFX", pfx, "s3cret-pw"},
		{"the same PFX again", pfx, "s3cret-pw"},
		{"PEM bytes", append(append([]byte{}, certPEM...), keyPEM...), ""},
	} {
		s, stopped := run(tc.body, tc.pw)
		if stopped || s.BackendCertificate == nil || certThumbprint(s.BackendCertificate) != tp {
			t.Fatalf("%s: stopped %v, certificate %v, error %+v", tc.name, stopped, s.BackendCertificate, s.LastError())
		}
		if tc.name == "PFX" {
			first = s.BackendCertificate
			if len(first.Certificate) != 2 {
				t.Errorf("the chain has %d certificates, want the leaf and its CA", len(first.Certificate))
			}
		}
		if tc.name == "the same PFX again" && s.BackendCertificate != first {
			t.Errorf("the same PFX was read again")
		}
		s.Release()
	}
	// text: a PFX in base64 (or PEM) from a string expression
	text := compile(t, testDeps(), `<authentication-certificate body="@((string)context.Variables[&quot;b64&quot;])" password="s3cret-pw" />`)
	s := request("https://gw/chat")
	s.Variables()["b64"] = base64.StdEncoding.EncodeToString(pfx)
	if runInbound(text, s) || s.BackendCertificate == nil || certThumbprint(s.BackendCertificate) != tp {
		t.Errorf("PFX as base64 text: %+v", s.LastError())
	}
	s.Release()
	for _, tc := range []struct {
		name string
		body any
		pw   string
	}{
		{"wrong password", pfx, "wrong-pw"},
		{"not a certificate", []byte("garbage"), ""},
		{"null", nil, ""},
	} {
		s, stopped := run(tc.body, tc.pw)
		le := s.LastError()
		if !stopped || le == nil || !strings.Contains(le.Message, "authentication-certificate") {
			t.Errorf("%s: stopped %v, %+v", tc.name, stopped, le)
		} else if strings.Contains(le.Message, "s3cret") || strings.Contains(le.Message, "wrong-pw") || strings.Contains(le.Message, "PRIVATE KEY") {
			t.Errorf("%s: a secret in the error: %s", tc.name, le.Message)
		}
		s.Release()
	}
}
