package gateway_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// The Dapr examples of APIM's policy reference, served: a fake Dapr
// sidecar on a real socket, the gateway pointed at it (Deps.DaprURL), and
// the client's view. The empty backend section of the publish and binding
// examples forwards nothing, so the API's own backend is never called.
func TestDaprExamplesServed(t *testing.T) {
	// APIM's examples, as its reference writes them (policies' test data).
	doc := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "policies", "testdata", "apim-docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	publish, binding, invoke := doc("publish-to-dapr.xml"), doc("invoke-dapr-binding.xml"), doc("set-backend-service-dapr.xml")
	tests := []struct {
		name         string
		policy       string
		method, path string
		body         string
		sidecar      [2]any // status, body the sidecar answers
		wantSidecar  string // method and path (with query) the sidecar saw
		wantStatus   int
		wantBody     string // exact, unless wantBodyHas
		wantBodyHas  string
		wantSideBody string
	}{
		{name: "publish-to-dapr: 200 and nothing forwarded", policy: publish, method: "POST", path: "/orders/new", body: `{"id":7}`,
			sidecar: [2]any{204, ""}, wantSidecar: "POST /v1.0/publish/orders/new", wantSideBody: `{"id":7}`, wantStatus: 200, wantBody: ""},
		// The example's on-error returns pubsub-response, which nothing sets
		// (the policy's variable is dapr-response): the response starts
		// empty, as a return-response naming an unset variable does.
		{name: "publish-to-dapr: the example's on-error names a variable that is not set", policy: publish, method: "POST", path: "/orders/new", body: "x",
			sidecar: [2]any{404, `{"errorCode":"ERR_PUBSUB_NOT_FOUND"}`}, wantSidecar: "POST /v1.0/publish/orders/new", wantSideBody: "x",
			wantStatus: 200, wantBody: ""},
		{name: "invoke-dapr-binding: 200 and nothing forwarded", policy: binding, method: "POST", path: "/orders", body: "order 42",
			sidecar: [2]any{200, `{"ok":true}`}, wantSidecar: "POST /v1.0/bindings/external-system",
			wantSideBody: `{"data":"order 42","metadata":{"client-ip":"127.0.0.1","source":"api-management"},"operation":"create"}`,
			wantStatus:   200, wantBody: ""},
		{name: "invoke-dapr-binding: the sidecar's refusal returned verbatim by on-error", policy: binding, method: "POST", path: "/orders", body: "order 42",
			sidecar: [2]any{503, `{"errorCode":"ERR_INVOKE_OUTPUT_BINDING"}`}, wantSidecar: "POST /v1.0/bindings/external-system",
			wantSideBody: `{"data":"order 42","metadata":{"client-ip":"127.0.0.1","source":"api-management"},"operation":"create"}`,
			wantStatus:   503, wantBody: `{"errorCode":"ERR_INVOKE_OUTPUT_BINDING"}`},
		{name: "set-backend-service (Dapr): the request goes to the app's method, its query kept", policy: invoke, method: "GET", path: "/orders/any/path?x=1",
			sidecar: [2]any{200, "from echo"}, wantSidecar: "GET /v1.0/invoke/echo.echo-app/method/back?x=1", wantStatus: 200, wantBody: "from echo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var seen []string
			var seenBody string
			sidecar := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				seen = append(seen, r.Method+" "+r.URL.RequestURI())
				seenBody = string(b)
				mu.Unlock()
				w.WriteHeader(tc.sidecar[0].(int))
				io.WriteString(w, tc.sidecar[1].(string))
			})
			rb := newRESTBackend(t, nil)
			g := startGateway(t, restAPI(t, rb.url, "", tc.policy), func(o *gateway.Options) {
				o.Registry = policies.Registry(policies.Deps{Store: store.NewMemory(), DaprURL: sidecar.URL})
			})
			var rdr io.Reader
			if tc.body != "" {
				rdr = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, g.url+tc.path, rdr)
			resp, body := do(t, req.WithContext(testCtx(t)))
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d (body %q)", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantBodyHas != "" {
				if !strings.Contains(body, tc.wantBodyHas) {
					t.Errorf("body %q lacks %q", body, tc.wantBodyHas)
				}
			} else if body != tc.wantBody {
				t.Errorf("body %q, want %q", body, tc.wantBody)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 1 || seen[0] != tc.wantSidecar {
				t.Errorf("the sidecar saw %q, want [%s]", seen, tc.wantSidecar)
			}
			if tc.wantSideBody != "" && seenBody != tc.wantSideBody {
				t.Errorf("the sidecar got %q, want %q", seenBody, tc.wantSideBody)
			}
			if n := rb.calls.Load(); n != 0 {
				t.Errorf("the API's backend was called %d times", n)
			}
		})
	}
}
