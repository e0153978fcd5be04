package gateway_test

import (
	"net/http"
	"testing"

	"tollgate/gateway"
	"tollgate/store"
)

// TestProductRateLimitAPIChildren: a product's rate-limit with APIM's <api>
// and <operation> children, through the gateway: the product's, the API's
// and the operation's limits apply to each subscription independently,
// matched by the API's name and the operation's id or name.
func TestProductRateLimitAPIChildren(t *testing.T) {
	rb := newRESTBackend(t, nil)
	dir := t.TempDir()
	writeFile(t, dir, "orders/api.xml", `<api name="orders" type="http" path="/api" service-url="`+rb.url+`" subscription-required="true">
  <operations>
    <operation id="get-order" name="Get order" method="GET" url-template="/orders/{id}"/>
    <operation id="list-orders" name="List orders" method="GET" url-template="/orders"/>
  </operations>
</api>`)
	writeFile(t, dir, "other/api.xml", `<api name="other" type="http" path="/other" service-url="`+rb.url+`" subscription-required="true"/>`)
	writeFile(t, dir, "products/gold/productInformation.json", `{"properties": {"displayName": "Gold", "subscriptionRequired": true, "state": "published"}}`)
	writeFile(t, dir, "products/gold/apis.json", `[{"name": "orders"}, {"name": "other"}]`)
	writeFile(t, dir, "products/gold/policy.xml", `<policies>
  <inbound>
    <base/>
    <rate-limit calls="4" renewal-period="60" remaining-calls-header-name="X-Left">
      <api name="orders" calls="3" renewal-period="60">
        <operation id="get-order" calls="1" renewal-period="60"/>
        <operation name="List orders" calls="2" renewal-period="60"/>
      </api>
    </rate-limit>
  </inbound>
  <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error>
</policies>`)
	subs := store.NewMemorySubscriptions()
	for _, id := range []string{"s1", "s2"} {
		if err := subs.Put(testCtx(t), &store.Subscription{ID: id, Scope: "/products/gold", State: "active", PrimaryKeyHash: gateway.HashKey(id + "-key-SECRET")}); err != nil {
			t.Fatal(err)
		}
	}
	g := startGateway(t, dir, withSubscriptions("", subs))
	for i, c := range []struct {
		sub, path string
		status    int
		left      string
	}{
		{"s1", "/api/orders/1", 200, "0"}, // the operation's limit (1) is the tightest
		{"s1", "/api/orders/2", 429, ""},  // get-order: 1 a minute
		{"s1", "/api/orders", 200, "1"},   // List orders (by name): 2, the API: 3 (1 left)
		{"s1", "/api/orders", 200, "0"},
		{"s1", "/api/orders", 429, ""},    // List orders' 2 used
		{"s1", "/other/x", 200, "0"},      // the product's 4th call
		{"s1", "/other/x", 429, ""},       // the product's 4 used
		{"s2", "/api/orders/1", 200, "0"}, // another subscription counts apart
	} {
		resp, _ := get(t, g.url+c.path, http.Header{"Ocp-Apim-Subscription-Key": {c.sub + "-key-SECRET"}})
		if resp.StatusCode != c.status {
			t.Fatalf("call %d (%s %s): %d, want %d", i+1, c.sub, c.path, resp.StatusCode, c.status)
		}
		if c.status == 200 && resp.Header.Get("X-Left") != c.left {
			t.Errorf("call %d (%s %s): X-Left %q, want %q", i+1, c.sub, c.path, resp.Header.Get("X-Left"), c.left)
		}
		if c.status == 429 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("call %d: 429 without Retry-After", i+1)
		}
	}
}
