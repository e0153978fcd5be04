package policies

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{`<authentication-certificate body="@(context.Variables.GetValueOrDefault(&quot;byteCertificate&quot;, &quot;&quot;))" password="optional-certificate-password" />`, `password-protected (PFX) certificates are not supported`},
		{`<authentication-certificate body="@(context.Variables.GetValueOrDefault(&quot;byteCertificate&quot;, &quot;&quot;))" />`, `read at load`},
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
