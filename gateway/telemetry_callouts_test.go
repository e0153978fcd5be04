package gateway_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// TestOpenTelemetryCalloutClients: the call-outs that do not go over the
// call-out client itself get their client span too, a child of the
// request's server span, and the called server that span's traceparent:
// send-request with <authentication-certificate> or <proxy> (a client of
// its own, cloned from the call-out client) and send-one-way-request (sent
// by a worker, after the request has ended).
func TestOpenTelemetryCalloutClients(t *testing.T) {
	ca := testutil.IssueCert(t, testutil.CertOptions{CA: true, Subject: pkix.Name{CommonName: "CA"}}, nil)
	serverCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "api"}, DNSNames: []string{"localhost"}}, ca)
	clientCert := testutil.IssueCert(t, testutil.CertOptions{Subject: pkix.Name{CommonName: "gw-client"}}, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)

	var mu sync.Mutex
	seen := map[string]string{} // path -> traceparent as received
	oneWay := make(chan struct{}, 1)
	record := func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if path == "/cert" && (r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "gw-client") {
			path = "/cert without the client certificate"
		}
		mu.Lock()
		seen[path] = r.Header.Get("Traceparent")
		mu.Unlock()
		if path == "/oneway" {
			oneWay <- struct{}{}
		}
		w.Write([]byte(`{}`))
	}
	api := httptest.NewUnstartedServer(http.HandlerFunc(record))
	api.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert.TLS()}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: roots, MinVersion: tls.VersionTLS12}
	api.StartTLS()
	t.Cleanup(api.Close)
	apiURL := "https://localhost:" + api.URL[strings.LastIndexByte(api.URL, ':')+1:]
	proxy := newHTTPBackend(t, record) // answers for the target itself: the call went through it
	plain := newHTTPBackend(t, record)
	rest := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })

	sr := tracetest.NewSpanRecorder()
	tel := gateway.NewTelemetryWith(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))
	callouts := policies.DefaultHTTPClient()
	callouts.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	callouts.Transport = tel.WrapTransport(callouts.Transport)
	certPEM, keyPEM := clientCert.PEM(t)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeAPI(t, dir, "rest", `type="http" path="/rest" service-url="`+rest.URL+`"`, `<policies><inbound>
  <send-request mode="new" response-variable-name="c"><set-url>`+apiURL+`/cert</set-url><authentication-certificate certificate-id="gw"/></send-request>
  <send-request mode="new" response-variable-name="p"><set-url>http://backend.invalid/proxied</set-url><proxy url="`+proxy.URL+`"/></send-request>
  <send-one-way-request mode="new"><set-url>`+plain.URL+`/oneway</set-url></send-one-way-request>
</inbound></policies>`)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Telemetry = tel
		o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), HTTPClient: callouts,
			Certificates: []policies.NamedCertificate{{Name: "gw", Cert: pair}}})
	})
	in := http.Header{"Traceparent": {"00-" + clientTrace + "-" + clientSpan + "-01"}}
	if resp, body := get(t, g.url+"/rest/x", in); resp.StatusCode != 200 {
		t.Fatalf("rest: %d %s", resp.StatusCode, body)
	}
	select {
	case <-oneWay:
	case <-time.After(testTimeout):
		t.Fatal("the one-way call did not come")
	}
	clientSpans := func() map[string]sdktrace.ReadOnlySpan {
		out := map[string]sdktrace.ReadOnlySpan{}
		for _, s := range sr.Ended() {
			if s.SpanKind() != trace.SpanKindClient {
				continue
			}
			for _, a := range s.Attributes() {
				if a.Key == "url.full" {
					u := a.Value.AsString()
					out[u[strings.LastIndexByte(u, '/'):]] = s
				}
			}
		}
		return out
	}
	waitFor(t, "the call-outs' client spans", func() bool { return len(clientSpans()) == 4 }) // 3 call-outs, the backend
	var server sdktrace.ReadOnlySpan
	for _, s := range sr.Ended() {
		if s.SpanKind() == trace.SpanKindServer {
			server = s
		}
	}
	if server == nil || server.Parent().SpanID().String() != clientSpan {
		t.Fatalf("server span %v", server)
	}
	spans := clientSpans()
	mu.Lock()
	defer mu.Unlock()
	for _, path := range []string{"/cert", "/proxied", "/oneway"} {
		s := spans[path]
		if s == nil {
			t.Errorf("%s: no client span (spans of %v)", path, spans)
			continue
		}
		if s.SpanContext().TraceID().String() != clientTrace || s.Parent().SpanID() != server.SpanContext().SpanID() {
			t.Errorf("%s: span in trace %s under %s, want the server span %s of trace %s", path,
				s.SpanContext().TraceID(), s.Parent().SpanID(), server.SpanContext().SpanID(), clientTrace)
		}
		if want := "00-" + clientTrace + "-" + s.SpanContext().SpanID().String() + "-01"; seen[path] != want {
			t.Errorf("%s: the called server got traceparent %q, want %q (%v)", path, seen[path], want, seen)
		}
	}
}
