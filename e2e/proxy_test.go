package e2e

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// proxy: the backend call goes through an HTTP proxy, with Basic proxy
// authentication; an API without the policy goes direct.
func TestOutboundProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "backend %s", r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	proxied := make(chan string, 10)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte("gw:pw")) {
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		proxied <- r.URL.String() // absolute-form: the request was sent to a proxy
		res, err := http.Get(r.URL.String())
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		_, _ = io.Copy(w, res.Body)
	}))
	t.Cleanup(proxy.Close)
	dir := t.TempDir()
	for _, api := range []struct{ name, inbound string }{
		{"via", `<proxy url="` + proxy.URL + `" username="gw" password="pw"/>`},
		{"direct", ``},
	} {
		testutil.WriteFile(t, filepath.Join(dir, api.name, "api.xml"), fmt.Sprintf(`<api name=%q type="http" path="/%s" service-url=%q/>`, api.name, api.name, backend.URL))
		testutil.WriteFile(t, filepath.Join(dir, api.name, "policy.xml"), "<policies><inbound>"+api.inbound+"</inbound><backend><forward-request/></backend><outbound/><on-error/></policies>")
	}
	gw := serveGateway(t, gateway.Options{Dir: dir, Log: zap.NewNop(), Getenv: func(string) string { return "" },
		Registry: policies.Registry(policies.Deps{Log: zap.NewNop()})})
	get := func(path string) string {
		resp, err := http.Get(gw + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	if got := get("/via/a"); got != "200 backend /a" {
		t.Fatalf("via: %s", got)
	}
	if u := <-proxied; u != backend.URL+"/a" {
		t.Fatalf("proxy saw %s", u)
	}
	if got := get("/direct/b"); got != "200 backend /b" {
		t.Fatalf("direct: %s", got)
	}
	select {
	case u := <-proxied:
		t.Fatalf("the direct API went through the proxy: %s", u)
	default:
	}
}
