package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
)

// echoed is what the echo backend saw.
type echoed struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	Auth   string `json:"auth"`
}

// restGateway serves one http API "orders" at /orders, forwarding to an
// echo backend, with the given policy; it returns the gateway's URL and a
// counter of backend calls.
func restGateway(t *testing.T, policy string, logs *observer.ObservedLogs, log *zap.Logger) (string, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echoed{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")})
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "orders", "api.xml"),
		fmt.Sprintf(`<api name="orders" type="http" path="/orders" service-url=%q/>`, backend.URL+"/svc"))
	testutil.WriteFile(t, filepath.Join(dir, "orders", "policy.xml"), policy)
	if log == nil {
		log = zap.NewNop()
	}
	gwURL := serveGateway(t, gateway.Options{
		Dir:      dir,
		Registry: policies.Registry(policies.Deps{Log: log.Named("policy")}),
		Log:      log,
		Getenv:   func(string) string { return "" },
	})
	return gwURL, &calls
}

func TestRESTRewriteURIAndSetMethod(t *testing.T) {
	gwURL, calls := restGateway(t, `<policies>
  <inbound>
    <set-method>@(context.Request.Headers.GetValueOrDefault("X-Method", "PUT"))</set-method>
    <rewrite-uri template="/v2/items/{id}?kind=x&amp;n={n}" copy-unmatched-params="true"/>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error/>
</policies>`, nil, nil)

	for _, tc := range []struct {
		name, url, method string
		want              echoed
		status            int
	}{
		{"rewritten", "/orders/anything?id=42&n=7&keep=1", "", echoed{Method: "PUT", Path: "/svc/v2/items/42", Query: "kind=x&n=7&keep=1"}, 200},
		{"method from header", "/orders/a?id=1", "DELETE", echoed{Method: "DELETE", Path: "/svc/v2/items/1", Query: "kind=x"}, 200},
		{"missing path parameter", "/orders/a?n=1", "", echoed{}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, gwURL+tc.url, nil)
			if tc.method != "" {
				req.Header.Set("X-Method", tc.method)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, body %s", res.StatusCode, body)
			}
			if tc.status != 200 {
				return
			}
			var got echoed
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got != tc.want {
				t.Errorf("backend saw %+v, want %+v", got, tc.want)
			}
		})
	}
	if calls.Load() != 2 {
		t.Errorf("backend calls = %d, want 2", calls.Load())
	}
}

func TestRESTMockResponseAndTrace(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	gwURL, calls := restGateway(t, `<policies>
  <inbound>
    <trace source="orders-api" severity="information">
      <message>@("mocking " + context.Request.Method)</message>
      <metadata name="path" value="@(context.Request.Url.Path)"/>
    </trace>
    <mock-response status-code="201" content-type="application/json">{"mocked":true}</mock-response>
  </inbound>
  <backend><forward-request/></backend>
  <outbound/>
  <on-error/>
</policies>`, logs, zap.New(core))
	res, err := http.Post(gwURL+"/orders/x", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 || string(body) != `{"mocked":true}` || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if calls.Load() != 0 {
		t.Errorf("the backend was called %d times", calls.Load())
	}
	entries := logs.FilterMessage("mocking POST").All()
	if len(entries) != 1 {
		t.Fatalf("trace log entries: %v", logs.All())
	}
	f := entries[0].ContextMap()
	if f["api"] != "orders" || f["source"] != "orders-api" || f["request_id"] == "" || entries[0].Level != zapcore.InfoLevel {
		t.Errorf("fields = %v level %v", f, entries[0].Level)
	}
	if md, _ := f["metadata"].(map[string]any); md["path"] != "/svc/x" { // context.Request.Url is the backend URL: service-url .../svc + /x
		t.Errorf("metadata = %v", f["metadata"])
	}
}
