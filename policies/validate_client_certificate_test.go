package policies

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

// APIM's example. As written it puts raw double quotes inside a
// double-quoted attribute (O="Contoso, Inc."), which is not XML: tollgate
// says so where it stands. With the quotes written &quot; it loads and
// checks exactly what the page describes.
func TestValidateClientCertificateDocExample(t *testing.T) {
	const asWritten = `<validate-client-certificate 
    validate-revocation="true" 
    validate-trust="true" 
    validate-not-before="true" 
    validate-not-after="true" 
    ignore-error="false">
    <identities>
        <identity
            subject="C=US, ST=Illinois, L=Chicago, O="Contoso, Inc.", CN=*.contoso.com"
            issuer-subject="C=BE, O=FabrikamSign nv-sa, OU=Root CA, CN=FabrikamSign Root CA" />
    </identities>
</validate-client-certificate> `
	_, errs := compileErrs(testDeps(), asWritten)
	if len(errs) != 1 || !strings.Contains(errs.Error(), "policy.xml:9:") {
		t.Fatalf("as written: %v", errs)
	}
	fixed := strings.Replace(asWritten, `O="Contoso, Inc."`, `O=&quot;Contoso, Inc.&quot;`, 1)

	root := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{
		Country: []string{"BE"}, Organization: []string{"FabrikamSign nv-sa"}, OrganizationalUnit: []string{"Root CA"}, CommonName: "FabrikamSign Root CA"}}, nil)
	other := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "Other CA"}}, nil)
	contoso := pkix.Name{Country: []string{"US"}, Province: []string{"Illinois"}, Locality: []string{"Chicago"},
		Organization: []string{"Contoso, Inc."}, CommonName: "*.contoso.com"}
	good := testutil.IssueCert(t, testutil.CertOptions{Subject: contoso, Serial: 0x1f}, root)
	expired := testutil.IssueCert(t, testutil.CertOptions{Subject: contoso, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)}, root)
	future := testutil.IssueCert(t, testutil.CertOptions{Subject: contoso, NotBefore: time.Now().Add(time.Hour)}, root)
	wrongSubject := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "*.contoso.com"}}, root)
	untrusted := testutil.IssueCert(t, testutil.CertOptions{Subject: contoso}, other)

	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	d := testDeps()
	d.ClientCAs = pool
	plan := compile(t, d, fixed)
	lenient := compile(t, d, `<validate-client-certificate validate-trust="false" validate-not-after="false"><identities>
		<identity thumbprint="`+engine.NewCertificate([]*x509.Certificate{untrusted.Cert}).Thumbprint+`"/>
		<identity serial-number="1F" common-name="*.contoso.com"/>
		<identity dns-name="API.example.com"/>
	</identities></validate-client-certificate>`)
	withDNS := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"api.example.com"}}, other)

	cases := []struct {
		name string
		plan *engine.Plan
		cert *testutil.TestCert
		ok   bool
	}{
		{"valid", plan, good, true},
		{"no certificate", plan, nil, false},
		{"expired", plan, expired, false},
		{"not yet valid", plan, future, false},
		{"other subject", plan, wrongSubject, false},
		{"untrusted issuer", plan, untrusted, false},
		{"lenient: thumbprint of an untrusted cert", lenient, untrusted, true},
		{"lenient: serial and common name", lenient, good, true},
		{"lenient: expired allowed, but no identity matches", lenient, expired, false}, // serial 1, not 1F
		{"lenient: dns name", lenient, withDNS, true},
		{"lenient: nothing matches", lenient, wrongSubject, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := request("https://gw/chat")
			defer s.Release()
			if c.cert != nil {
				s.SetClientCertificate([]*x509.Certificate{c.cert.Cert})
			}
			stopped := runInbound(c.plan, s)
			if stopped == c.ok {
				t.Fatalf("stopped=%v, want ok=%v (%+v)", stopped, c.ok, s.LastError())
			}
			if !c.ok {
				if le := s.LastError(); le == nil || le.Reason != ReasonClientCertificateInvalid || s.Context().Response.StatusCode != 401 {
					t.Fatalf("LastError %+v", le)
				}
			}
		})
	}
	// ignore-error lets the request through.
	ign := compile(t, d, `<validate-client-certificate ignore-error="true"/>`)
	s := request("https://gw/chat")
	defer s.Release()
	if runInbound(ign, s) {
		t.Fatal("ignore-error stopped the request")
	}
}

func TestValidateClientCertificateExpressions(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	leaf := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "client-1", Organization: []string{"Acme"}}, Serial: 255}, ca)
	plan := compile(t, testDeps(), `<set-variable name="who" value="@(context.Request.Certificate == nil ? &quot;none&quot; : context.Request.Certificate.Subject + &quot;|&quot; + context.Request.Certificate.SerialNumber + &quot;|&quot; + string(len(context.Request.Certificate.Thumbprint)))"/>`)
	for _, c := range []struct {
		cert *testutil.TestCert
		want string
	}{{nil, "none"}, {leaf, "CN=client-1,O=Acme|FF|40"}} {
		s := request("https://gw/chat")
		if c.cert != nil {
			s.SetClientCertificate([]*x509.Certificate{c.cert.Cert})
		}
		runInbound(plan, s)
		if got := s.Variables()["who"]; got != c.want {
			t.Errorf("got %v, want %q", got, c.want)
		}
		s.Release()
	}
}

func TestValidateClientCertificateLoadErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`<validate-client-certificate validate-trust="maybe"/>`, `validate-trust`},
		{`<validate-client-certificate><identities><identity/></identities></validate-client-certificate>`, `at least one attribute`},
		{`<validate-client-certificate><identities><identity thumbprint="XYZ"/></identities></validate-client-certificate>`, `must be hexadecimal`},
		{`<validate-client-certificate><identities><identity subject="CN"/></identities></validate-client-certificate>`, `not TYPE=value`},
		{`<validate-client-certificate><identities><identity subject="FOO=bar"/></identities></validate-client-certificate>`, `unknown attribute type "FOO"`},
		{`<validate-client-certificate><identities><identity issuer-certificate-id="c1"/></identities></validate-client-certificate>`, `issuer-certificate-id`},
		{`<validate-client-certificate><identities><identity cn="x"/></identities></validate-client-certificate>`, `has no attribute "cn"`},
		{`<validate-client-certificate><identity thumbprint="AA"/></validate-client-certificate>`, `unexpected element <identity>`},
	} {
		_, errs := compileErrs(testDeps(), c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
}

func TestParseDN(t *testing.T) {
	got, err := parseDN(`C=US, ST=Illinois, L=Chicago, O="Contoso, Inc.", CN=*.contoso.com`)
	if err != nil {
		t.Fatal(err)
	}
	want := []dnAttr{{"C", "US"}, {"CN", "*.contoso.com"}, {"L", "Chicago"}, {"O", "Contoso, Inc."}, {"S", "Illinois"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v", got)
		}
	}
	for _, bad := range []string{"", "CN", `O="unterminated`, "XX=1"} {
		if _, err := parseDN(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// validate-revocation="true" (APIM's default) checks the chain against the
// CRLs its certificates name; a list that cannot be had means the status is
// unknown, which fails.
func TestValidateClientCertificateRevocation(t *testing.T) {
	var crl atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := crl.Load().([]byte)
		if b == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	good := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "good"}, Serial: 10, CRLURLs: []string{srv.URL + "/ca.crl"}}, ca)
	bad := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "bad"}, Serial: 11, CRLURLs: []string{srv.URL + "/ca.crl"}}, ca)
	noCDP := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "no-cdp"}, Serial: 11}, ca)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	d := testDeps()
	d.ClientCAs = pool
	run := func(src string, c *testutil.TestCert) string {
		plan := compile(t, d, src)
		s := request("https://gw/chat")
		defer s.Release()
		s.SetClientCertificate([]*x509.Certificate{c.Cert})
		runInbound(plan, s)
		if le := s.LastError(); le != nil {
			return le.Message
		}
		return "ok"
	}
	const check = `<validate-client-certificate/>`
	// The list cannot be fetched: unknown status fails (one fetch a minute at most).
	if got := run(check, good); !strings.Contains(got, "revocation status") {
		t.Fatalf("CRL down: %s", got)
	}
	crl.Store(ca.CRL(t, 11))
	plan := func(c *testutil.TestCert) string { return run(check, c) } // each compile: a new registry, a fresh CRL cache
	if got := plan(good); got != "ok" {
		t.Errorf("good: %s", got)
	}
	if got := plan(bad); !strings.Contains(got, "revoked") {
		t.Errorf("bad: %s", got)
	}
	if got := plan(noCDP); got != "ok" {
		t.Errorf("no distribution point: %s", got)
	}
	if got := run(`<validate-client-certificate validate-revocation="false"/>`, bad); got != "ok" {
		t.Errorf("revocation off: %s", got)
	}
	// A list signed by someone else is refused.
	other := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	crl.Store(other.CRL(t))
	if got := plan(good); !strings.Contains(got, "not signed") {
		t.Errorf("forged list: %s", got)
	}
}
