package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"tollgate/gateway"
	"tollgate/internal/testutil"
	"tollgate/policies"
	"tollgate/store"
)

// An HTTP API nested under a WebSocket API's path (/chat/negotiate under
// /chat, as SignalR needs): routing looks at the path only, the longest
// prefix wins on a segment boundary, whatever the method or the Upgrade
// header. An upgrade request to the HTTP API is forwarded as a plain
// request (Connection and Upgrade are hop-by-hop), so it never becomes a
// WebSocket; everything else under /chat stays WebSocket-only.
func TestHTTPAPIUnderWebSocketAPI(t *testing.T) {
	var mu sync.Mutex
	var seen []string // "METHOD path upgrade=<Upgrade header>"
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s upgrade=%s", r.Method, r.URL.Path, r.Header.Get("Upgrade")))
		mu.Unlock()
		if r.Header.Get("Upgrade") != "" {
			c, err := websocket.Accept(w, r, nil)
			if err == nil {
				_ = c.Close(websocket.StatusNormalClosure, "")
			}
			return
		}
		fmt.Fprintf(w, "plain %s %s", r.Method, r.URL.Path)
	}))
	defer backend.Close()
	wsBackend := "ws://" + strings.TrimPrefix(backend.URL, "http://")

	dir := t.TempDir()
	testutil.WriteFile(t, filepath.Join(dir, "chat", "api.xml"),
		fmt.Sprintf(`<api name="chat" type="websocket" path="/chat" service-url="%s/ws"/>`, wsBackend))
	testutil.WriteFile(t, filepath.Join(dir, "negotiate", "api.xml"),
		fmt.Sprintf(`<api name="negotiate" type="http" path="/chat/negotiate" service-url="%s/http"/>`, backend.URL))
	base := serveGateway(t, gateway.Options{
		Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}),
		Getenv: func(string) string { return "" },
	})
	ctx := testContext(t)
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}

	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		status             int
		backendSaw         string // "" = the backend was not called
	}{
		{"upgrade to the WebSocket API", http.MethodGet, "/chat", upgrade, http.StatusSwitchingProtocols, "GET /ws upgrade=websocket"},
		{"upgrade with a query", http.MethodGet, "/chat?id=1", upgrade, http.StatusSwitchingProtocols, "GET /ws upgrade=websocket"},
		{"upgrade below the WebSocket API", http.MethodGet, "/chat/room", upgrade, http.StatusSwitchingProtocols, "GET /ws/room upgrade=websocket"},
		{"/chat/negotiatex is the WebSocket API", http.MethodGet, "/chat/negotiatex", upgrade, http.StatusSwitchingProtocols, "GET /ws/negotiatex upgrade=websocket"},
		{"plain GET to the WebSocket API", http.MethodGet, "/chat", nil, http.StatusUpgradeRequired, ""},
		{"POST to the WebSocket API", http.MethodPost, "/chat", nil, http.StatusUpgradeRequired, ""},
		{"POST to the HTTP API", http.MethodPost, "/chat/negotiate", nil, http.StatusOK, "POST /http upgrade="},
		{"POST below the HTTP API", http.MethodPost, "/chat/negotiate/x", nil, http.StatusOK, "POST /http/x upgrade="},
		{"upgrade to the HTTP API: a plain request", http.MethodGet, "/chat/negotiate", upgrade, http.StatusOK, "GET /http upgrade="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			a := do(t, ctx, tc.method, base+tc.path, tc.hdr...)
			if a.status != tc.status {
				t.Fatalf("%d %s, want %d", a.status, a.body, tc.status)
			}
			mu.Lock()
			got := strings.Join(seen, "; ")
			mu.Unlock()
			if got != tc.backendSaw {
				t.Fatalf("backend saw %q, want %q", got, tc.backendSaw)
			}
		})
	}
}
