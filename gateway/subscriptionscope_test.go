package gateway_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// TestSubscriptionScopeOutsideExtract: an extract filtered by name keeps
// the subscriptions of products (or APIs) it left out, APIM's built-in
// starter and unlimited ones above all. Without keys such a subscription
// opens nothing: a notice at its scope, and the folder loads. With keys it
// would be a key that opens nothing: an error at its scope.
func TestSubscriptionScopeOutsideExtract(t *testing.T) {
	const arm = "/subscriptions/ee8a/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim"
	for _, tc := range []struct {
		name, scope, keys string
		wantErr, wantNote string
	}{
		{"product, keyless", arm + "/products/starter", "", "",
			`subscriptionInformation.json:3:5: ignored: subscription s1: scope /products/starter names no product, and it has no keys: it opens nothing`},
		{"api, keyless", arm + "/apis/left-out", "", "",
			`subscriptionInformation.json:3:5: ignored: subscription s1: scope /apis/left-out names no API, and it has no keys: it opens nothing`},
		{"product, with keys", arm + "/products/starter", `{"s1": {"primaryKey": "k-1"}}`,
			`subscriptionInformation.json:3:5: subscription "s1": scope /products/starter names no product`, ""},
		{"api, with keys", "/apis/left-out", `{"s1": {"primaryKey": "k-1"}}`,
			`subscriptionInformation.json:3:5: subscription "s1": scope /apis/left-out names no API`, ""},
		{"product there, keyless", arm + "/products/gold", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "apis/echo/apiInformation.json", `{"properties": {"path": "echo", "serviceUrl": "http://127.0.0.1:1"}}`)
			writeFile(t, dir, "products/gold/productInformation.json", `{"properties": {"displayName": "Gold", "state": "published"}}`)
			writeFile(t, dir, "subscriptions/s1/subscriptionInformation.json", "{\n  \"properties\": {\n    \"scope\": \""+tc.scope+"\",\n    \"state\": \"active\"\n  }\n}")
			var keys string
			if tc.keys != "" {
				keys = filepath.Join(t.TempDir(), "keys.json")
				writeFile(t, filepath.Dir(keys), "keys.json", tc.keys)
			}
			snap, lerrs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}),
				gateway.LoadOptions{Getenv: func(string) string { return "" }, SubscriptionKeys: keys})
			var errs []string
			for _, e := range lerrs {
				errs = append(errs, e.Error())
			}
			if tc.wantErr != "" {
				if len(errs) != 1 || !strings.HasSuffix(errs[0], tc.wantErr) {
					t.Fatalf("errors %q, want one ending %q", errs, tc.wantErr)
				}
				return
			}
			if len(errs) != 0 || snap == nil {
				t.Fatalf("errors %q", errs)
			}
			has := slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.Contains(n, tc.wantNote) })
			if tc.wantNote != "" && !has {
				t.Errorf("notices %q, want one with %q", snap.Notices, tc.wantNote)
			}
			if tc.wantNote == "" && slices.ContainsFunc(snap.Notices, func(n string) bool { return strings.Contains(n, "opens nothing") }) {
				t.Errorf("notices %q", snap.Notices)
			}
		})
	}
}
