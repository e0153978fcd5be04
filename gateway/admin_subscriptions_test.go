package gateway_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/store"
)

func adminDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(testCtx(t), method, url, strings.NewReader(body))
	resp, b := do(t, req)
	return resp.StatusCode, b
}

// TestAdminSubscriptionsHostile: the admin API refuses malformed input with
// a 4xx that names the problem, and never answers with a key or a hash.
func TestAdminSubscriptionsHostile(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir, keys := subscriptionFolder(t, rb.url, "ws://127.0.0.1:1")
	subs := store.NewMemorySubscriptions()
	g := startGateway(t, dir, withSubscriptions(keys, subs))
	admin := g.adminURL() + "/subscriptions/"
	hash := gateway.HashKey("k-SECRET-1")
	for _, tc := range []struct {
		name, method, id, body string
		status                 int
		msg                    string
	}{
		{"not JSON", "PUT", "x", `{"scope": `, 400, "bad JSON body"},
		{"unknown field", "PUT", "x", `{"scope": "/apis", "primaryKey": "plain"}`, 400, "unknown field"},
		{"plain key instead of a hash", "PUT", "x", `{"scope": "/apis", "primaryKeySha256": "not-a-hash"}`, 400, "SHA-256"},
		{"no key", "PUT", "x", `{"scope": "/apis"}`, 400, "needs a key"},
		{"no scope", "PUT", "x", `{"primaryKeySha256": "` + hash + `"}`, 400, "scope is required"},
		{"bad scope", "PUT", "x", `{"scope": "/users/x", "primaryKeySha256": "` + hash + `"}`, 400, "scope must be"},
		{"bad state", "PUT", "x", `{"scope": "/apis", "state": "on", "primaryKeySha256": "` + hash + `"}`, 400, "state must be"},
		{"bad id", "PUT", "..%2F..", `{"scope": "/apis", "primaryKeySha256": "` + hash + `"}`, 400, "subscription id"},
		{"same key twice", "PUT", "x", `{"scope": "/apis", "primaryKeySha256": "` + hash + `", "secondaryKeySha256": "` + hash + `"}`, 400, "must differ"},
		{"a folder subscription", "PATCH", "alice", `{"state": "suspended"}`, 409, "configuration folder"},
		{"a key of a folder subscription", "PUT", "y", `{"scope": "/apis", "primaryKeySha256": "` + gateway.HashKey(aliceKey) + `"}`, 409, "another subscription"},
		{"patch unknown", "PATCH", "nobody", `{"state": "active"}`, 404, "no subscription"},
		{"huge body", "PUT", "x", `{"displayName": "` + strings.Repeat("a", 70<<10) + `"}`, 400, "bad JSON body"},
		{"create", "PUT", "x", `{"scope": "/apis", "ownerId": "/users/x", "primaryKeySha256": "` + hash + `"}`, 201, ""},
		{"over the product's subscriptionsLimit", "PUT", "alice2", `{"scope": "/products/starter", "ownerId": "/users/alice", "primaryKeySha256": "` + gateway.HashKey("k-SECRET-2") + `"}`, 409, "subscriptionsLimit"},
		{"another owner within the limit", "PUT", "frank", `{"scope": "/products/starter", "ownerId": "/users/frank", "primaryKeySha256": "` + gateway.HashKey("k-SECRET-3") + `"}`, 201, ""},
		{"reuse a key", "PUT", "z", `{"scope": "/apis", "primaryKeySha256": "` + hash + `"}`, 409, "another subscription"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := adminDo(t, tc.method, admin+tc.id, tc.body)
			if status != tc.status || !strings.Contains(body, tc.msg) {
				t.Errorf("%d %s, want %d with %q", status, body, tc.status, tc.msg)
			}
			if strings.Contains(body, "SECRET") || strings.Contains(body, hash) {
				t.Errorf("the answer holds a key or a hash: %s", body)
			}
		})
	}
	status, list := adminDo(t, "GET", g.adminURL()+"/subscriptions", "")
	if status != 200 || !strings.Contains(list, `"id": "x"`) || !strings.Contains(list, `"source": "folder"`) ||
		strings.Contains(list, hash) || strings.Contains(list, gateway.HashKey(aliceKey)) {
		t.Errorf("list: %d %s", status, list)
	}
	if status, _ := adminDo(t, "GET", admin+"nobody", ""); status != 404 {
		t.Errorf("GET unknown: %d", status)
	}
}

// TestSubscriptionKeyHostile: odd keys over a raw socket are refused with
// the 401, never a 5xx or a hang.
func TestSubscriptionKeyHostile(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir, keys := subscriptionFolder(t, rb.url, "ws://127.0.0.1:1")
	g := startGateway(t, dir, withSubscriptions(keys, store.NewMemorySubscriptions()))
	addr := strings.TrimPrefix(g.url, "http://")
	for _, key := range []string{strings.Repeat("k", 60000), "\x01\x02", "%00", "a b", "\xff\xfe"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /echo/a HTTP/1.1\r\nHost: x\r\nOcp-Apim-Subscription-Key: "+key+"\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		c.Close()
		line, _, _ := strings.Cut(string(b), "\r\n")
		if !strings.HasPrefix(line, "HTTP/1.1 401") && !strings.HasPrefix(line, "HTTP/1.1 400") && !strings.HasPrefix(line, "HTTP/1.1 431") {
			t.Errorf("key %q: %q", key[:min(len(key), 20)], line)
		}
	}
}
