package gateway_test

import (
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// TestBackendEntityClientCertificate: a backend entity's
// credentials.certificateIds (an APIOps extract's full resource id) and
// credentials.certificate (a thumbprint) present the gateway's certificate
// of that name or thumbprint (--certificates) to a backend that requires
// one, with the entity's own TLS settings (certificate chain not
// validated); a backend naming a certificate the gateway does not have is
// unusable: a load error where a policy names it.
func TestBackendEntityClientCertificate(t *testing.T) {
	api, _, _, pair, serverCert := mtlsServer(t, "api")
	sum := sha1.Sum(pair.Certificate[0])
	thumb := strings.ToUpper(hex.EncodeToString(sum[:]))
	certs := []policies.NamedCertificate{{Name: "other", Cert: serverCert}, {Name: "backend-client", Cert: pair}}
	entity := func(creds string) string {
		return `{"properties": {"url": "` + api.URL + `", "protocol": "http", "tls": {"validateCertificateChain": false, "validateCertificateName": false},
  "credentials": {` + creds + `}}}`
	}
	dir := backendFolder(t, "byid", map[string]string{
		"byid":  entity(`"certificateIds": ["/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc/certificates/backend-client"]`),
		"bytp":  entity(`"certificate": ["` + strings.ToLower(thumb) + `"]`),
		"none":  `{"properties": {"url": "` + api.URL + `", "tls": {"validateCertificateChain": false, "validateCertificateName": false}}}`,
		"unset": entity(`"certificateIds": ["/certificates/not-here"]`),
	})
	writeAPI(t, dir, "tp", `type="http" path="/tp" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="bytp"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "none", `type="http" path="/none" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="none"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Certificates = certs
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), Certificates: certs})
	})
	for _, path := range []string{"/b/x", "/tp/x"} {
		if resp, body := get(t, g.url+path, nil); resp.StatusCode != 200 || body != "hello gw-client" {
			t.Fatalf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
	if resp, _ := get(t, g.url+"/none/x", nil); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("a backend without the certificate: %d, want 502 (the backend requires one)", resp.StatusCode)
	}

	// A policy naming the backend whose certificate is missing: a load error.
	writeAPI(t, dir, "unset", `type="http" path="/u" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="unset"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory(), Certificates: certs}),
		gateway.LoadOptions{Getenv: func(string) string { return "" }, Certificates: certs})
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	if all := strings.Join(msgs, "\n"); !strings.Contains(all, `certificate "not-here" (put not-here.pem, the certificate and its key, in --certificates)`) {
		t.Fatalf("load errors:\n%s", all)
	}
}

// mtlsServer is a TLS server (a certificate for localhost) that requires a
// client certificate issued by its own CA and answers "hello " and the
// client certificate's common name. It returns the server, its URL by host
// name (https://localhost:PORT), the CA's pool, and the gateway's client
// certificate (CN gw-client) and the server's own (CN name).
func mtlsServer(t *testing.T, name string) (srv *httptest.Server, url string, roots *x509.CertPool, client, server tls.Certificate) {
	t.Helper()
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: name}, DNSNames: []string{"localhost"}}, ca)
	clientCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gw-client"}}, ca)
	roots = x509.NewCertPool()
	roots.AddCert(ca.Cert)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello " + r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	certPEM, keyPEM := clientCert.PEM(t)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return srv, "https://localhost:" + srv.URL[strings.LastIndexByte(srv.URL, ':')+1:], roots, pair, serverCert.TLS()
}
