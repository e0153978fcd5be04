package policies

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/engine"
)

// Fakes of the Azure services send-service-bus-message and
// llm-content-safety call, on real sockets: an Entra ID token endpoint, and
// a TLS server that stands in for every Azure host (the policies' client
// dials it whatever the URL's host, so APIM's examples run unchanged).
// Every secret the fakes hand out or are given has SECRET in it: tests
// check that no error, log line or trace shows one.

// testUserAssigned is the client-id of APIM's examples' user-assigned
// identity.
const testUserAssigned = "00001111-aaaa-2222-bbbb-3333cccc4444"

// tokenEndpoint is an OAuth2 client-credentials endpoint: the token it
// issues is "SECRET-token-" + the client's id and the scope's resource.
type tokenEndpoint struct {
	url   string
	fail  atomic.Bool
	calls atomic.Int64
}

func newTokenEndpoint(t *testing.T) *tokenEndpoint {
	te := &tokenEndpoint{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		te.calls.Add(1)
		if err := r.ParseForm(); err != nil || r.PostForm.Get("client_secret") != "SECRET-"+r.PostForm.Get("client_id") {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if te.fail.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"temporarily_unavailable","error_description":"SECRET-`+r.PostForm.Get("client_id")+`"}`)
			return
		}
		scope := strings.TrimSuffix(r.PostForm.Get("scope"), "/.default")
		scope = strings.TrimPrefix(strings.TrimPrefix(scope, "https://"), "http://")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"SECRET-token-%s-%s","expires_in":3600}`, r.PostForm.Get("client_id"), scope)
	}))
	t.Cleanup(ts.Close)
	te.url = ts.URL + "/tenant/oauth2/v2.0/token"
	return te
}

// identities are the system-assigned identity ("system") and APIM's
// examples' user-assigned one ("user"), both from te.
func (te *tokenEndpoint) identities() map[string]Identity {
	return map[string]Identity{
		"":               {TokenURL: te.url, ClientID: "system", ClientSecret: "SECRET-system"},
		testUserAssigned: {TokenURL: te.url, ClientID: "user", ClientSecret: "SECRET-user"},
	}
}

// azureSeen is one request an Azure fake received.
type azureSeen struct {
	method, host, path, query string
	header                    http.Header
	body                      string
}

// azureFake is a TLS server that answers as answer says (201 and nothing
// by default) and records what it receives.
type azureFake struct {
	ts    *httptest.Server
	mu    sync.Mutex
	calls []azureSeen
}

func newAzureFake(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, body string)) *azureFake {
	f := &azureFake{}
	f.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.calls = append(f.calls, azureSeen{r.Method, r.Host, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		f.mu.Unlock()
		if answer != nil {
			answer(w, r, string(body))
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(f.ts.Close)
	return f
}

func (f *azureFake) seen() []azureSeen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]azureSeen(nil), f.calls...)
}

// client sends every request to f, whatever its host (https and http)
// but 127.0.0.1 (the token endpoint),
// trusting f's certificate, following no redirect.
func (f *azureFake) client() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(f.ts.Certificate())
	addr := f.ts.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, to string) (net.Conn, error) {
			var d net.Dialer
			if strings.HasPrefix(to, "127.0.0.1:") { // the token endpoint, another fake
				return d.DialContext(ctx, network, to)
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"},
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// observedLog is a logger whose lines a test can read.
func observedLog() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(core), logs
}

// noSecrets fails when SECRET appears in the request's error, response,
// trace or the logs.
func noSecrets(t *testing.T, s *engine.State, logs *observer.ObservedLogs) {
	t.Helper()
	var b strings.Builder
	if le := s.LastError(); le != nil {
		fmt.Fprintf(&b, "%+v\n", *le)
	}
	if r := s.Context().Response; r != nil {
		if r.Body != nil {
			if data, err := r.Body.Bytes(); err == nil {
				b.Write(data)
			}
		}
		fmt.Fprintf(&b, "%v\n", r.Headers)
	}
	if tr := s.Trace(); tr != nil {
		fmt.Fprintf(&b, "%+v\n", tr.Steps)
	}
	if logs != nil {
		for _, e := range logs.All() {
			fmt.Fprintf(&b, "%s %v\n", e.Message, e.ContextMap())
		}
	}
	if strings.Contains(b.String(), "SECRET") {
		t.Errorf("a secret shows in an error, response, trace or log:\n%s", b.String())
	}
}
