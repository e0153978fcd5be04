package policies

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

// APIM's "Use managed identity in send-request policy" example, and the
// other children send-request takes: a client certificate and a proxy.
func TestSendRequestAuthenticationChildren(t *testing.T) {
	f := newFakeTokenEndpoint(t, 3600)
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "api"}, DNSNames: []string{"localhost"}}, ca)
	clientCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gw-client"}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)

	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who := "-"
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			who = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "%s|%s", r.Header.Get("Authorization"), who)
	}))
	api.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: roots, MinVersion: tls.VersionTLS12}
	api.StartTLS()
	defer api.Close()
	apiURL := "https://localhost:" + api.URL[strings.LastIndexByte(api.URL, ':')+1:]
	proxied := make(chan string, 4)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied <- r.Method + " " + r.Host
		http.Error(w, "proxy says no", http.StatusForbidden) // enough to see the call went through it
	}))
	defer proxy.Close()

	d := identityDeps(f)
	d.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	certPEM, keyPEM := clientCert.PEM(t)
	d.Certificates = []NamedCertificate{{Name: "gw", Cert: mustPair(t, certPEM, keyPEM)}}

	run := func(src string) string {
		t.Helper()
		plan := compile(t, d, src)
		s := request("http://gw/chat")
		defer s.Release()
		runInbound(plan, s)
		if le := s.LastError(); le != nil {
			t.Fatalf("%s: %+v", src, le)
		}
		r, _ := s.Variables()["r"].(*engine.Response)
		if r == nil {
			t.Fatalf("no response")
		}
		b, _ := r.Body.AsString()
		return fmt.Sprintf("%d %s", r.StatusCode, b)
	}
	if got := run(`<send-request mode="new" response-variable-name="r" timeout="20" ignore-error="false">
    <set-url>` + apiURL + `/</set-url>
    <set-method>GET</set-method>
    <authentication-managed-identity resource="ResourceID"/>
</send-request>`); got != "200 Bearer tok-1|-" {
		t.Errorf("managed identity: %s", got)
	}
	if got := run(`<send-request response-variable-name="r"><set-url>` + apiURL + `/</set-url><authentication-certificate certificate-id="gw"/></send-request>`); got != "200 |gw-client" {
		t.Errorf("certificate: %s", got)
	}
	if got := run(`<send-request response-variable-name="r"><set-url>http://backend.invalid/x</set-url><proxy url="` + proxy.URL + `"/></send-request>`); !strings.HasPrefix(got, "403 ") || <-proxied != "GET backend.invalid" {
		t.Errorf("proxy: %s", got)
	}
	_, errs := compileErrs(d, `<send-request response-variable-name="r"><set-url>http://x/</set-url><authentication-managed-identity resource="r" output-token-variable-name="t"/></send-request>`)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "does not apply inside") {
		t.Errorf("%v", errs)
	}
}

func mustPair(t *testing.T, certPEM, keyPEM []byte) tls.Certificate {
	t.Helper()
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
