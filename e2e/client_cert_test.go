package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"software.sslmate.com/src/go-pkcs12"

	"tollgate/gateway"
	"tollgate/gateway/h1/h1test"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// validate-client-certificate over real TLS: the listener asks for a
// client certificate once the policy is loaded (as tollgate serve does with
// --tls-cert), and the policy accepts or refuses what each client presents.
func TestClientCertificatesOverTLS(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "Clients CA"}}, nil)
	alice := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "alice", Organization: []string{"Acme"}}}, ca)
	mallory := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "alice", Organization: []string{"Acme"}}},
		testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "Clients CA"}}, nil)) // same names, other key
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "127.0.0.1"}, DNSNames: []string{"localhost"}}, ca)

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.Header.Get("X-Client"))
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "api", "api.xml"), fmt.Sprintf(`<api name="api" type="http" path="/api" service-url=%q/>`, backend.URL))
	testutil.WriteFile(t, filepath.Join(dir, "api", "policy.xml"), `<policies>
  <inbound>
    <validate-client-certificate validate-revocation="false">
      <identities><identity subject="O=Acme, CN=alice"/></identities>
    </validate-client-certificate>
    <set-header name="X-Client" exists-action="override"><value>@(context.Request.Certificate.Subject)</value></set-header>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error/>
</policies>`)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	want := &atomic.Bool{}
	gw, err := gateway.New(gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{ClientCAs: roots, ClientCertificates: want, Log: zap.NewNop()}),
		Log:      zap.NewNop(),
		Getenv:   func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !want.Load() {
		t.Fatal("loading validate-client-certificate did not ask for client certificates")
	}
	withCerts := &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv := h1test.NewTLSServer(gw, &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			if want.Load() {
				return withCerts, nil
			}
			return nil, nil
		}})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})

	get := func(cert *testutil.TestCert) (int, string) {
		cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{cert.TLS()}
		}
		cfg.ServerName = "localhost"
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		resp, err := c.Get(srv.URL + "/api/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(alice); code != 200 || body != "hello CN=alice,O=Acme" {
		t.Errorf("alice: %d %q", code, body)
	}
	if code, body := get(nil); code != 401 {
		t.Errorf("no certificate: %d %q", code, body)
	}
	if code, body := get(mallory); code != 401 {
		t.Errorf("a look-alike from another CA: %d %q", code, body)
	}
}

// authentication-certificate: a backend that requires a client certificate
// gets the one the policy names; without the policy the handshake fails and
// the client gets a 502.
func TestBackendClientCertificate(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "Backend CA"}}, nil)
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "backend"}, DNSNames: []string{"localhost"}}, ca)
	gwCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "the-gateway"}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	backend.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots, MinVersion: tls.VersionTLS12}
	backend.StartTLS()
	t.Cleanup(backend.Close)
	backendURL := "https://localhost:" + backend.Listener.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):]

	certPEM, keyPEM := gwCert.PEM(t)
	pfx, err := pkcs12.Modern.Encode(gwCert.Key, gwCert.Cert, nil, "kv-pw")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certDir := filepath.Join(t.TempDir(), "certs")
	testutil.WriteFile(t, filepath.Join(certDir, "backend-client.pem"), string(certPEM)+string(keyPEM))
	for _, api := range []struct{ name, inbound string }{
		{"with", `<authentication-certificate certificate-id="backend-client"/>`},
		{"without", ``},
		// APIM's example: the certificate a byte[] at run time (here a PFX
		// a set-variable decodes, as from a Key Vault secret)
		{"runtime", `<set-variable name="byteCertificate" value="@(Convert.FromBase64String(&quot;` + base64.StdEncoding.EncodeToString(pfx) + `&quot;))"/>
			<authentication-certificate body="@(context.Variables.GetValueOrDefault<byte[]>(&quot;byteCertificate&quot;))" password="kv-pw"/>`},
	} {
		testutil.WriteFile(t, filepath.Join(dir, api.name, "api.xml"), fmt.Sprintf(`<api name=%q type="http" path="/%s" service-url=%q/>`, api.name, api.name, backendURL))
		testutil.WriteFile(t, filepath.Join(dir, api.name, "policy.xml"), "<policies><inbound>"+api.inbound+"</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>")
	}
	named, err := policies.LoadCertificateDir(certDir)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	gw := serveGateway(t, gateway.Options{
		Dir:       dir,
		Registry:  policies.Registry(policies.Deps{Certificates: named, Log: zap.NewNop()}),
		Log:       zap.NewNop(),
		Transport: tr,
		Getenv:    func(string) string { return "" },
	})
	for _, c := range []struct {
		path string
		code int
		body string
	}{
		{"/with/x", 200, "hello the-gateway"},
		{"/without/x", 502, ""},
		{"/with/y", 200, "hello the-gateway"},
		{"/runtime/x", 200, "hello the-gateway"},
		{"/runtime/y", 200, "hello the-gateway"},
	} {
		resp, err := http.Get(gw + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || (c.body != "" && string(b) != c.body) {
			t.Errorf("%s: %d %q", c.path, resp.StatusCode, b)
		}
	}
}

// authentication-certificate on a WebSocket API: the wss backend requires
// a client certificate; the handshake presents the policy's.
func TestBackendClientCertificateWebSocket(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "Backend CA"}}, nil)
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "backend"}, DNSNames: []string{"localhost"}}, ca)
	gwCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "the-gateway"}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		_ = c.Write(r.Context(), websocket.MessageText, []byte("hello "+r.TLS.PeerCertificates[0].Subject.CommonName))
		_, _, _ = c.Read(r.Context())
	}))
	backend.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots, MinVersion: tls.VersionTLS12}
	backend.StartTLS()
	t.Cleanup(backend.Close)
	port := backend.Listener.Addr().(*net.TCPAddr).Port

	certPEM, keyPEM := gwCert.PEM(t)
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "ws", "api.xml"), fmt.Sprintf(`<api name="ws" type="websocket" path="/ws" service-url="wss://localhost:%d/"/>`, port))
	testutil.WriteFile(t, filepath.Join(dir, "ws", "policy.xml"), `<policies><inbound><authentication-certificate certificate-file="client.pem" key-file="client.key"/></inbound><backend/><outbound/><on-error/></policies>`)
	testutil.WriteFile(t, filepath.Join(dir, "ws", "client.pem"), string(certPEM))
	testutil.WriteFile(t, filepath.Join(dir, "ws", "client.key"), string(keyPEM))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	gw := serveGateway(t, gateway.Options{Dir: dir, Log: zap.NewNop(), Transport: tr, Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Log: zap.NewNop()})})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(gw, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	_, msg, err := c.Read(ctx)
	if err != nil || string(msg) != "hello the-gateway" {
		t.Fatalf("%q %v", msg, err)
	}
}
