package gateway_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/store"
)

// Test keys carry the word SECRET: every gateway's logs are checked for it.
const (
	aliceKey  = "alice-primary-SECRET-0001"
	aliceKey2 = "alice-secondary-SECRET-0002"
	bobKey    = "bob-primary-SECRET-0003"
	carolKey  = "carol-primary-SECRET-0004"
	daveKey   = "dave-primary-SECRET-0006"
)

// subscriptionFolder writes APIs behind subscriptions:
//   - echo (http, key required) and chat (websocket, key required), both in
//     product starter, whose policy marks requests and limits each
//     subscription to 7 calls a minute (alice's calls in TestSubscriptionKeys);
//   - custom (http, key required, key names x-key / key);
//   - open (http, no key needed);
//   - subscriptions alice (product starter, owner alice) and bob (echo
//     only, suspended), keys in keys.json.
func subscriptionFolder(t *testing.T, backend, wsBackend string) (dir, keys string) {
	dir = t.TempDir()
	echoes := `<set-header name="X-Sub" exists-action="override"><value>@(context.Subscription == nil ? "-" : context.Subscription.Id + "|" + context.Subscription.Name)</value></set-header>
    <set-header name="X-User" exists-action="override"><value>@(context.User == nil ? "-" : context.User.Id)</value></set-header>
    <set-header name="X-Product" exists-action="override"><value>@(context.Product == nil ? "-" : context.Product.Id + "|" + context.Product.Name)</value></set-header>`
	writeFile(t, dir, "policy.xml", `<policies><inbound/><backend><forward-request/></backend><outbound/>
  <on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header></on-error></policies>`)
	writeAPI(t, dir, "echo", `type="http" path="/echo" service-url="`+backend+`" subscription-required="true"`,
		`<policies><inbound><base/>`+echoes+`</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeAPI(t, dir, "chat", `type="websocket" path="/chat" service-url="`+wsBackend+`" subscription-required="true"`,
		`<policies><inbound><base/>`+echoes+`</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeAPI(t, dir, "custom", `type="http" path="/custom" service-url="`+backend+`" subscription-required="true" subscription-key-header="X-Key" subscription-key-query="key"`, "")
	writeAPI(t, dir, "open", `type="http" path="/open" service-url="`+backend+`"`,
		`<policies><inbound><base/>`+echoes+`</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeAPI(t, dir, "free", `type="http" path="/free" service-url="`+backend+`" subscription-required="true"`,
		`<policies><inbound><base/>`+echoes+`</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "products/free/productInformation.json", `{"properties": {"displayName": "Free", "subscriptionRequired": false}}`)
	writeFile(t, dir, "products/free/apis.json", `[{"name": "free"}]`)
	writeFile(t, dir, "products/starter/productInformation.json", `{"properties": {"displayName": "Starter", "subscriptionRequired": true, "state": "published", "subscriptionsLimit": 1}}`)
	writeFile(t, dir, "products/starter/apis.json", `[{"name": "echo"}, {"name": "chat"}, {"name": "custom"}]`)
	writeFile(t, dir, "products/starter/policy.xml", `<policies>
  <inbound><base/><rate-limit calls="7" renewal-period="60"/><set-header name="X-Scope-Product" exists-action="override"><value>starter</value></set-header></inbound>
  <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	writeFile(t, dir, "subscriptions/alice/subscriptionInformation.json", `{"properties": {"displayName": "Alice's app", "scope": "/products/starter", "ownerId": "/users/alice", "state": "active"}}`)
	writeFile(t, dir, "subscriptions/bob/subscriptionInformation.json", `{"properties": {"scope": "/apis/echo", "ownerId": "bob", "state": "suspended"}}`)
	writeFile(t, dir, "subscriptions/dave/subscriptionInformation.json", `{"properties": {"scope": "/products/starter", "state": "active"}}`)
	keys = dir + "/../keys.json"
	writeFile(t, dir, "../keys.json", fmt.Sprintf(`{"alice": {"primaryKey": %q, "secondaryKey": %q}, "bob": {"primaryKeySha256": %q}, "dave": {"primaryKey": %q}}`,
		aliceKey, aliceKey2, gateway.HashKey(bobKey), daveKey))
	return dir, keys
}

func withSubscriptions(keys string, subs store.Subscriptions) gwOption {
	return func(o *gateway.Options) {
		o.SubscriptionKeys = keys
		o.Subscriptions = subs
	}
}

func TestSubscriptionKeys(t *testing.T) {
	rb := newRESTBackend(t, nil)
	wsb := newWSBackend(t)
	dir, keys := subscriptionFolder(t, rb.url, wsb.url)
	subs := store.NewMemorySubscriptions()
	g := startGateway(t, dir, withSubscriptions(keys, subs))
	ctx := context.Background()
	if err := subs.Put(ctx, &store.Subscription{ID: "carol", Scope: "/apis", State: "active", PrimaryKeyHash: gateway.HashKey(carolKey)}); err != nil {
		t.Fatal(err)
	}

	type want struct {
		status          int
		message         string // the JSON error's, for 401s
		sub, user, prod string // what the policy saw (200s)
	}
	call := func(t *testing.T, path string, header http.Header) want {
		t.Helper()
		before := rb.calls.Load()
		resp, body := get(t, g.url+path, header)
		w := want{status: resp.StatusCode}
		if resp.StatusCode == 401 {
			_, w.message = jsonError(t, body)
			if rb.calls.Load() != before {
				t.Errorf("a refused request reached the backend")
			}
			if got := resp.Header.Get("X-Reason"); !strings.HasPrefix(got, "authorization/SubscriptionKey") {
				t.Errorf("on-error saw %q", got)
			}
			return w
		}
		if resp.StatusCode == 200 && (strings.HasPrefix(path, "/echo") || strings.HasPrefix(path, "/open") || strings.HasPrefix(path, "/free")) {
			seen := rb.last.Load()
			w.sub, w.user, w.prod = seen.header.Get("X-Sub"), seen.header.Get("X-User"), seen.header.Get("X-Product")
		}
		return w
	}
	h := func(k, v string) http.Header { return http.Header{k: {v}} }
	missing := "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
	invalid := "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
	for _, tc := range []struct {
		name   string
		path   string
		header http.Header
		want   want
	}{
		{"header", "/echo/a", h("Ocp-Apim-Subscription-Key", aliceKey), want{200, "", "alice|Alice's app", "alice", "starter|Starter"}},
		{"header name is case-insensitive", "/echo/a", h("ocp-apim-subscription-key", aliceKey), want{200, "", "alice|Alice's app", "alice", "starter|Starter"}},
		{"query", "/echo/a?subscription-key=" + url.QueryEscape(aliceKey2), nil, want{200, "", "alice|Alice's app", "alice", "starter|Starter"}},
		{"secondary key", "/echo/a", h("Ocp-Apim-Subscription-Key", aliceKey2), want{200, "", "alice|Alice's app", "alice", "starter|Starter"}},
		{"header before query", "/echo/a?subscription-key=nope", h("Ocp-Apim-Subscription-Key", carolKey), want{200, "", "carol|carol", "-", "-"}},
		{"missing", "/echo/a", nil, want{401, missing, "", "", ""}},
		{"empty header", "/echo/a", h("Ocp-Apim-Subscription-Key", ""), want{401, missing, "", "", ""}},
		{"wrong key", "/echo/a", h("Ocp-Apim-Subscription-Key", "nope-SECRET"), want{401, invalid, "", "", ""}},
		{"suspended", "/echo/a", h("Ocp-Apim-Subscription-Key", bobKey), want{401, invalid, "", "", ""}},
		{"store subscription for all APIs", "/echo/a", h("Ocp-Apim-Subscription-Key", carolKey), want{200, "", "carol|carol", "-", "-"}},
		{"custom names: default header is not it", "/custom/a", h("Ocp-Apim-Subscription-Key", aliceKey), want{401, missing, "", "", ""}},
		{"custom header", "/custom/a", h("X-Key", aliceKey), want{200, "", "", "", ""}},
		{"custom query", "/custom/a?key=" + url.QueryEscape(aliceKey), nil, want{200, "", "", "", ""}},
		{"open API, no key", "/open/a", nil, want{200, "", "-", "-", "-"}},
		{"open product, no key", "/free/a", nil, want{200, "", "-", "-", "free|Free"}},
		{"open product, a key for all APIs", "/free/a", h("Ocp-Apim-Subscription-Key", carolKey), want{200, "", "carol|carol", "-", "-"}},
		{"open API, a key fills the context", "/open/a", h("Ocp-Apim-Subscription-Key", carolKey), want{200, "", "carol|carol", "-", "-"}},
		{"open API, a key of a product without it is ignored", "/open/a", h("Ocp-Apim-Subscription-Key", aliceKey), want{200, "", "-", "-", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := call(t, tc.path, tc.header); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	t.Run("rotation and suspension without restart", func(t *testing.T) {
		const newKey = "carol-rotated-SECRET-0005"
		if err := subs.Put(ctx, &store.Subscription{ID: "carol", Scope: "/apis", State: "active", PrimaryKeyHash: gateway.HashKey(newKey)}); err != nil {
			t.Fatal(err)
		}
		if got := call(t, "/echo/a", h("Ocp-Apim-Subscription-Key", carolKey)); got.status != 401 || got.message != invalid {
			t.Errorf("old key: %+v", got)
		}
		if got := call(t, "/echo/a", h("Ocp-Apim-Subscription-Key", newKey)); got.status != 200 {
			t.Errorf("new key: %+v", got)
		}
		if err := subs.Put(ctx, &store.Subscription{ID: "carol", Scope: "/apis", State: "suspended", PrimaryKeyHash: gateway.HashKey(newKey)}); err != nil {
			t.Fatal(err)
		}
		if got := call(t, "/echo/a", h("Ocp-Apim-Subscription-Key", newKey)); got.status != 401 {
			t.Errorf("suspended: %+v", got)
		}
		end := time.Now().Add(-time.Second)
		if err := subs.Put(ctx, &store.Subscription{ID: "carol", Scope: "/apis", State: "active", PrimaryKeyHash: gateway.HashKey(newKey), EndDate: &end}); err != nil {
			t.Fatal(err)
		}
		if got := call(t, "/echo/a", h("Ocp-Apim-Subscription-Key", newKey)); got.status != 401 {
			t.Errorf("past its end date: %+v", got)
		}
	})

	t.Run("WebSocket refused before the upgrade", func(t *testing.T) {
		before := wsb.handshakes.Load()
		resp, body := upgradeRequest(t, g.url+"/chat", nil)
		if resp.StatusCode != 401 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if _, msg := jsonError(t, body); msg != missing {
			t.Errorf("message %q", msg)
		}
		resp, _ = upgradeRequest(t, g.url+"/chat", h("Ocp-Apim-Subscription-Key", "nope-SECRET"))
		if resp.StatusCode != 401 {
			t.Fatalf("wrong key: status %d", resp.StatusCode)
		}
		if wsb.handshakes.Load() != before {
			t.Errorf("the backend was dialed for a refused handshake")
		}
		c := dial(t, g.ws+"/chat?subscription-key="+url.QueryEscape(aliceKey), nil)
		defer c.CloseNow()
		r := wsb.lastRequest()
		if got := r.Header.Get("X-Sub") + " " + r.Header.Get("X-Product"); got != "alice|Alice's app starter|Starter" {
			t.Errorf("handshake policy saw %q", got)
		}
	})

	t.Run("rate-limit counts per subscription", func(t *testing.T) {
		// alice has used the product's 7 calls a minute by now (4 on echo,
		// 2 on custom, 1 on chat: one counter for the subscription).
		resp, _ := get(t, g.url+"/echo/a", h("Ocp-Apim-Subscription-Key", aliceKey))
		if resp.StatusCode != 429 {
			t.Errorf("alice's 8th call through starter: %d, want 429", resp.StatusCode)
		}
		if resp, _ := get(t, g.url+"/echo/a", h("Ocp-Apim-Subscription-Key", daveKey)); resp.StatusCode != 200 {
			t.Errorf("another subscription to the same product: %d, want 200", resp.StatusCode)
		}
	})
}

// TestSubscriptionStoreDown: with the subscription store unreachable a
// request with a key gets 503 (fail closed) within the store's timeout, or
// with SubscriptionsFailOpen is served without a subscription.
func TestSubscriptionStoreDown(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "echo", `type="http" path="/echo" service-url="`+rb.url+`" subscription-required="true"`, "")
	srv := redistest.Start(t)
	rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	srv.Stop()
	for _, open := range []bool{false, true} {
		g := startGateway(t, dir, func(o *gateway.Options) {
			o.Subscriptions = store.NewRedisSubscriptions(rs)
			o.SubscriptionsFailOpen = open
		})
		resp, _ := get(t, g.url+"/echo/a", http.Header{"Ocp-Apim-Subscription-Key": {"some-key-SECRET"}})
		want := 503
		if open {
			want = 200
		}
		if resp.StatusCode != want {
			t.Errorf("fail-open=%v: %d, want %d", open, resp.StatusCode, want)
		}
		if resp, _ := get(t, g.url+"/echo/a", nil); resp.StatusCode != 401 {
			t.Errorf("fail-open=%v, no key: %d, want 401 (no store call needed)", open, resp.StatusCode)
		}
	}
}

// TestQuotaPerSubscription: <quota> counts each subscription apart, as in
// APIM.
func TestQuotaPerSubscription(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeAPI(t, dir, "q", `type="http" path="/q" service-url="`+rb.url+`" subscription-required="true"`,
		`<policies><inbound><quota calls="2" renewal-period="3600"/></inbound><backend><forward-request/></backend><outbound/><on-error/></policies>`)
	subs := store.NewMemorySubscriptions()
	for _, id := range []string{"a", "b"} {
		if err := subs.Put(context.Background(), &store.Subscription{ID: id, Scope: "/apis/q", State: "active", PrimaryKeyHash: gateway.HashKey(id + "-key-SECRET")}); err != nil {
			t.Fatal(err)
		}
	}
	g := startGateway(t, dir, withSubscriptions("", subs))
	call := func(id string) int {
		resp, _ := get(t, g.url+"/q/x", http.Header{"Ocp-Apim-Subscription-Key": {id + "-key-SECRET"}})
		return resp.StatusCode
	}
	if a1, a2, a3 := call("a"), call("a"), call("a"); a1 != 200 || a2 != 200 || a3 != 403 {
		t.Fatalf("subscription a: %d %d %d, want 200 200 403", a1, a2, a3)
	}
	if b1 := call("b"); b1 != 200 {
		t.Fatalf("subscription b after a's quota ran out: %d", b1)
	}
}
