package gateway_test

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// proxyServer is a forward HTTP proxy that wants Basic credentials user:pass
// and reports the absolute-form URL of each request it relays, prefixed by
// its name.
func proxyServer(t *testing.T, name, user, pass string, seen chan<- string) string {
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)) {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		seen <- name + " " + r.URL.String() + " ua=" + r.Header.Get("User-Agent")
		out, err := http.NewRequest(r.Method, r.URL.String(), nil)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		out.Header = r.Header.Clone()
		out.Header.Del("Proxy-Authorization")
		res, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		_, _ = io.Copy(w, res.Body)
	}))
	t.Cleanup(p.Close)
	return p.URL
}

// TestBackendEntityProxy: a backend entity's proxy (APIM's documented
// "create backend proxy backend" REST example: proxy with username and
// password, beside tls and credentials) carries the calls to that backend;
// a proxy policy of the request's own wins; another backend goes direct.
func TestBackendEntityProxy(t *testing.T) {
	backend := newRESTBackend(t, nil)
	seen := make(chan string, 10)
	entityProxy := proxyServer(t, "entity", `Contoso\admin`, "pw-from-entity", seen)
	policyProxy := proxyServer(t, "policy", "gw", "pw", seen)
	// APIM's example, with its URLs pointing at the test servers.
	info := `{
  "properties": {
    "description": "description5308",
    "url": "` + backend.url + `",
    "protocol": "http",
    "tls": {"validateCertificateChain": true, "validateCertificateName": true},
    "proxy": {"url": "` + entityProxy + `", "username": "Contoso\\admin", "password": "pw-from-entity"},
    "credentials": {"query": {"sv": ["xx", "bb", "cc"]}, "header": {"x-my-1": ["val1", "val2"]},
      "authorization": {"scheme": "Basic", "parameter": "opensesma"}}
  }
}`
	dir := backendFolder(t, "proxybackend", map[string]string{
		"proxybackend": info,
		"direct":       `{"properties": {"url": "` + backend.url + `"}}`,
	})
	writeAPI(t, dir, "withpolicy", `type="http" path="/p" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="proxybackend"/><proxy url="`+policyProxy+`" username="gw" password="pw"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	writeAPI(t, dir, "direct", `type="http" path="/d" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="direct"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	for _, tc := range []struct{ path, via string }{
		{"/b/x", "entity"},
		{"/p/y", "policy"},
		{"/d/z", ""},
	} {
		resp, body := get(t, g.url+tc.path, http.Header{"User-Agent": {""}})
		if resp.StatusCode != 200 || body != "backend body" {
			t.Fatalf("%s: %d %q", tc.path, resp.StatusCode, body)
		}
		if ua, ok := backend.last.Load().header["User-Agent"]; tc.via == "" && ok {
			t.Fatalf("%s: the backend saw User-Agent %q", tc.path, ua)
		}
		select {
		case got := <-seen:
			rest := tc.path[2:]
			if tc.via == "" || !strings.HasPrefix(got, tc.via+" "+backend.url+rest) {
				t.Fatalf("%s went through %q, want %q", tc.path, got, tc.via)
			}
			if !strings.HasSuffix(got, " ua=") { // the client sent none: neither does the gateway
				t.Fatalf("%s: the proxy saw %q", tc.path, got)
			}
		default:
			if tc.via != "" {
				t.Fatalf("%s went direct, want through the %s proxy", tc.path, tc.via)
			}
		}
		if tc.path == "/b/x" {
			h := backend.last.Load().header
			if h.Get("Authorization") != "Basic opensesma" || fmt.Sprint(h.Values("X-My-1")) != "[val1 val2]" {
				t.Fatalf("the entity's credentials: %q %q", h.Get("Authorization"), h.Values("X-My-1"))
			}
		}
	}
}

// TestBackendEntityProxyFailureKeepsSecret: a backend whose proxy cannot be
// reached (and one whose proxy refuses the credentials) answers 502 without
// the proxy's password in the answer, the logs or the admin endpoints.
func TestBackendEntityProxyFailureKeepsSecret(t *testing.T) {
	seen := make(chan string, 10)
	refusing := proxyServer(t, "refusing", "other", "other", seen) // 407 to our credentials
	dir := backendFolder(t, "dead", map[string]string{
		"dead":    `{"properties": {"url": "http://backend.invalid", "proxy": {"url": "http://127.0.0.1:9", "username": "gw", "password": "SECRET-proxy-pw"}}}`,
		"refused": `{"properties": {"url": "http://backend.invalid", "proxy": {"url": "` + refusing + `", "username": "gw", "password": "SECRET-proxy-pw"}}}`,
	})
	writeAPI(t, dir, "refused", `type="http" path="/r" service-url="http://127.0.0.1:1"`,
		`<policies><inbound><set-backend-service backend-id="refused"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	g := startGateway(t, dir)
	for _, path := range []string{"/b/x", "/r/x"} {
		resp, body := get(t, g.url+path, nil)
		if resp.StatusCode < 400 {
			t.Fatalf("%s: %d %q, want an error status", path, resp.StatusCode, body)
		}
		noSecretIn(t, path+"'s answer", body)
	}
	noSecretsLogged(t, g.logs)
	noSecretsServed(t, g.srv)
}

// TestBackendPoolMemberProxyWithSession: a session-aware pool's member with
// a proxy is reached through it on every request of the session, the ones
// that bring the session's cookie back too.
func TestBackendPoolMemberProxyWithSession(t *testing.T) {
	backend := newRESTBackend(t, nil)
	seen := make(chan string, 10)
	proxy := proxyServer(t, "member", "gw", "pw", seen)
	g := startGateway(t, backendFolder(t, "pool", map[string]string{
		"pool": `{"properties": {"type": "Pool", "pool": {"services": [{"id": "/backends/a"}], "sessionAffinity": {"sessionId": {"source": "Cookie", "name": "SessionId"}}}}}`,
		"a":    `{"properties": {"url": "` + backend.url + `", "proxy": {"url": "` + proxy + `", "username": "gw", "password": "pw"}}}`,
	}))
	resp, _ := get(t, g.url+"/b/x", nil)
	cookie, _, _ := sessionCookie(t, resp.Header)
	for i, h := range []http.Header{nil, {"Cookie": {cookie}}, {"Cookie": {cookie}}} {
		if i > 0 {
			if resp, body := get(t, g.url+"/b/x", h); resp.StatusCode != 200 {
				t.Fatalf("request %d: %d %q", i, resp.StatusCode, body)
			}
		}
		select {
		case <-seen:
		default:
			t.Fatalf("request %d (cookie %v) did not go through the member's proxy", i, h != nil)
		}
	}
}
