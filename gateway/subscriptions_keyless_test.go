package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tollgate/gateway"
	"tollgate/internal/redistest"
	"tollgate/store"
)

// Subscriptions as APIOps' extractor writes them: no keys (secrets), and
// the built-in all-access subscription APIM makes in every instance, whose
// scope is the service itself with a "/" after it (as Azure gives it: the
// apiops-cli extract in github.com/yuanlu380/apiops-cli-lab,
// apim-artifacts/subscriptions/master/subscriptionInformation.json, ids
// replaced).
const (
	extractedMaster = `{
  "properties": {
    "allowTracing": false,
    "displayName": "Built-in all-access subscription",
    "ownerId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/users/1",
    "scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/",
    "state": "active"
  }
}
`
	extractedPartner = `{
  "properties": {
    "allowTracing": false,
    "displayName": "Partner A",
    "ownerId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/users/partner-a",
    "scope": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/products/starter",
    "state": "active"
  }
}
`
	extractedStarter = `{
  "properties": {
    "approvalRequired": false,
    "displayName": "Starter",
    "state": "published",
    "subscriptionRequired": true,
    "subscriptionsLimit": 1
  }
}
`
	extractedEchoAPI = `{
  "properties": {
    "apiRevision": "1",
    "displayName": "echo",
    "isCurrent": true,
    "path": "echo",
    "serviceUrl": "%s",
    "subscriptionKeyParameterNames": {
      "header": "Ocp-Apim-Subscription-Key",
      "query": "subscription-key"
    },
    "subscriptionRequired": true
  }
}
`
)

// keylessFolder writes an extracted folder: API echo (key required) in
// product starter, the master subscription and partner-a (starter).
func keylessFolder(t *testing.T, backend string) string {
	dir := t.TempDir()
	writeFile(t, dir, "apis/echo/apiInformation.json", strings.Replace(extractedEchoAPI, "%s", backend, 1))
	writeFile(t, dir, "apis/echo/policy.xml", `<policies>
  <inbound><base/><set-header name="X-Sub" exists-action="override"><value>@(context.Subscription == null ? "-" : context.Subscription.Id + "|" + context.Subscription.Name + "|" + (context.Product == null ? "-" : context.Product.Id))</value></set-header></inbound>
  <backend><forward-request/></backend>
  <on-error><set-header name="X-Reason" exists-action="override"><value>@(context.LastError.Source + "/" + context.LastError.Reason)</value></set-header></on-error>
</policies>`)
	writeFile(t, dir, "products/starter/productInformation.json", extractedStarter)
	writeFile(t, dir, "products/starter/apis.json", `[{"name": "echo"}]`)
	writeFile(t, dir, "subscriptions/master/subscriptionInformation.json", extractedMaster)
	writeFile(t, dir, "subscriptions/partner-a/subscriptionInformation.json", extractedPartner)
	return dir
}

// TestSubscriptionsWithoutKeysLoad: a subscription the keys file gives no
// keys (none is given, or it has no entry) loads, with a notice saying how
// to give them; an entry that gives none is still an error.
func TestSubscriptionsWithoutKeysLoad(t *testing.T) {
	note := func(file, name, where string) string {
		return file + ":1:1: ignored: subscription " + name + " has no keys (APIOps' extractor cannot export them): no request can present it until they are given in " +
			where + " or through the admin API (tollgate subscription regenerate " + name + ")"
	}
	const noFile = "a subscription keys file (--subscription-keys)"
	for _, tc := range []struct {
		name  string
		keys  string // the keys file's content; "" for none
		ws    bool   // partner-a in a workspace
		errs  []string
		notes []string
	}{
		{name: "no keys file",
			notes: []string{note("subscriptions/master/subscriptionInformation.json", "master", noFile),
				note("subscriptions/partner-a/subscriptionInformation.json", "partner-a", noFile)}},
		{name: "a keys file without their entries", keys: `{}`,
			notes: []string{note("subscriptions/master/subscriptionInformation.json", "master", "the subscription keys file KEYS"),
				note("subscriptions/partner-a/subscriptionInformation.json", "partner-a", "the subscription keys file KEYS")}},
		{name: "one given", keys: `{"partner-a": {"primaryKey": "partner-a-SECRET-1"}}`,
			notes: []string{note("subscriptions/master/subscriptionInformation.json", "master", "the subscription keys file KEYS")}},
		{name: "both given", keys: `{"partner-a": {"primaryKey": "partner-a-SECRET-1"}, "master": {"primaryKeySha256": "` + gateway.HashKey("master-SECRET") + `"}}`},
		{name: "an entry without keys is a mistake", keys: "{\n  \"partner-a\": {},\n  \"master\": {\"primaryKey\": \"m-SECRET\"}\n}",
			errs: []string{`KEYS:2:3: subscription "partner-a" has neither a primary nor a secondary key in the keys file`}},
		{name: "a workspace's", ws: true,
			notes: []string{note("subscriptions/master/subscriptionInformation.json", "master", noFile),
				note("workspaces/hr/subscriptions/partner-a/subscriptionInformation.json", "partner-a", noFile)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := keylessFolder(t, "http://127.0.0.1:9")
			if tc.ws {
				writeFile(t, dir, "workspaces/hr/workspaceInformation.json", `{"properties": {"displayName": "HR"}}`)
				writeFile(t, dir, "workspaces/hr/apis/people/apiInformation.json", `{"properties": {"path": "people", "serviceUrl": "http://127.0.0.1:9"}}`)
				writeFile(t, dir, "workspaces/hr/subscriptions/partner-a/subscriptionInformation.json",
					strings.Replace(extractedPartner, "service/apim/products/starter", "service/apim/workspaces/hr/apis/people", 1))
				if err := os.RemoveAll(filepath.Join(dir, "subscriptions", "partner-a")); err != nil {
					t.Fatal(err)
				}
			}
			opts := gateway.LoadOptions{Getenv: func(string) string { return "" }}
			keys := filepath.Join(t.TempDir(), "keys.json")
			if tc.keys != "" {
				writeFile(t, filepath.Dir(keys), "keys.json", tc.keys)
				opts.SubscriptionKeys = keys
			}
			snap, errs := loadDirWith(t, dir, opts)
			got := strings.ReplaceAll(strings.Join(errs, "\n"), keys, "KEYS")
			if got != strings.Join(tc.errs, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", got, strings.Join(tc.errs, "\n"))
			}
			if snap == nil {
				return
			}
			var notes []string
			for _, n := range snap.Notices {
				if strings.Contains(n, "has no keys") {
					notes = append(notes, strings.ReplaceAll(strings.ReplaceAll(n, dir+string(filepath.Separator), ""), keys, "KEYS"))
				}
			}
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
		})
	}
}

// TestSubscriptionsWithoutKeysServed: no key presents a subscription
// without keys (the answer is APIM's for an unknown key); keys given for
// it through the admin API (in the store: with Redis, on every replica at
// once) or in the keys file on reload make it usable, with its scope,
// state and owner from the folder.
func TestSubscriptionsWithoutKeysServed(t *testing.T) {
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			rb := newRESTBackend(t, nil)
			dir := keylessFolder(t, rb.url)
			keys := filepath.Join(t.TempDir(), "keys.json")
			writeFile(t, filepath.Dir(keys), "keys.json", `{}`)
			var subsA, subsB store.Subscriptions = store.NewMemorySubscriptions(), nil
			if backend == "redis" {
				srv := redistest.Start(t)
				for _, s := range []*store.Subscriptions{&subsA, &subsB} {
					rs, err := store.NewRedis(context.Background(), srv.URL(), store.RedisOptions{})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { rs.Close() })
					*s = store.NewRedisSubscriptions(rs)
				}
			}
			a := startGateway(t, dir, withSubscriptions(keys, subsA))
			replicas := []*testGateway{a}
			if subsB != nil {
				replicas = append(replicas, startGateway(t, dir, withSubscriptions(keys, subsB)))
			}
			call := func(g *testGateway, key string) (int, string) {
				t.Helper()
				h := http.Header{}
				if key != "" {
					h.Set("Ocp-Apim-Subscription-Key", key)
				}
				resp, body := get(t, g.url+"/echo/x", h)
				if resp.StatusCode == 200 {
					return 200, rb.last.Load().header.Get("X-Sub")
				}
				return resp.StatusCode, resp.Header.Get("X-Reason") + " " + body
			}
			unknown := `authorization/SubscriptionKeyInvalid {"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}`
			for _, g := range replicas {
				if st, got := call(g, "guessed-SECRET-key"); st != 401 || got != unknown {
					t.Fatalf("a key of no subscription: %d %s", st, got)
				}
				if st, got := call(g, ""); st != 401 || !strings.HasPrefix(got, "authorization/SubscriptionKeyNotFound") {
					t.Fatalf("no key: %d %s", st, got)
				}
			}

			admin := func(method, path, body string) (int, string) {
				t.Helper()
				req, err := http.NewRequest(method, a.adminURL()+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				resp, text := do(t, req)
				return resp.StatusCode, text
			}
			// The folder gives the subscription; only its keys may be given.
			if st, body := admin("PATCH", "/subscriptions/partner-a", `{"state": "suspended"}`); st != 409 || !strings.Contains(body, "only its keys") {
				t.Fatalf("PATCH state: %d %s", st, body)
			}
			if st, body := admin("PUT", "/subscriptions/partner-a", `{"scope": "/apis", "primaryKeySha256": "`+gateway.HashKey("x-SECRET")+`"}`); st != 409 {
				t.Fatalf("PUT with a scope: %d %s", st, body)
			}
			const given = "partner-a-given-SECRET-1"
			st, body := admin("PATCH", "/subscriptions/partner-a", `{"primaryKeySha256": "`+gateway.HashKey(given)+`"}`)
			var v struct {
				ID, Scope, Source string
				HasPrimary        bool `json:"hasPrimaryKey"`
			}
			if json.Unmarshal([]byte(body), &v) != nil || st != 200 || v.ID != "partner-a" || v.Scope != "/products/starter" || v.Source != "folder" || !v.HasPrimary {
				t.Fatalf("PATCH keys: %d %s", st, body)
			}
			for i, g := range replicas {
				if st, got := call(g, given); st != 200 || got != "partner-a|Partner A|starter" {
					t.Errorf("replica %d, the given key: %d %s", i, st, got)
				}
			}
			// Listed once, as the folder's, with its key.
			_, list := admin("GET", "/subscriptions", "")
			var views []map[string]any
			if err := json.Unmarshal([]byte(list), &views); err != nil {
				t.Fatal(err)
			}
			var listed []string
			for _, v := range views {
				listed = append(listed, fmt.Sprint(v["id"], " ", v["scope"], " ", v["state"], " ", v["source"], " ", v["hasPrimaryKey"], " ", v["hasSecondaryKey"]))
			}
			if want := []string{"master /apis active folder false false", "partner-a /products/starter active folder true false"}; !slices.Equal(listed, want) {
				t.Errorf("GET /subscriptions: %q, want %q", listed, want)
			}
			if st, one := admin("GET", "/subscriptions/partner-a", ""); st != 200 || json.Unmarshal([]byte(one), &v) != nil || !v.HasPrimary || v.Source != "folder" {
				t.Errorf("GET /subscriptions/partner-a: %d %s", st, one)
			}
			if bytes.Contains([]byte(list), []byte(gateway.HashKey(given))) {
				t.Errorf("the admin API shows a key hash: %s", list)
			}

			// The keys file gives its keys: they are the subscription's
			// from the next reload on, and the ones given at run time no
			// longer count.
			const filed = "partner-a-filed-SECRET-2"
			writeFile(t, filepath.Dir(keys), "keys.json", `{"partner-a": {"primaryKey": "`+filed+`"}}`)
			for _, g := range replicas {
				if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
					t.Fatalf("reload: %+v", st)
				}
			}
			for i, g := range replicas {
				if st, got := call(g, filed); st != 200 || got != "partner-a|Partner A|starter" {
					t.Errorf("replica %d, the filed key: %d %s", i, st, got)
				}
				if st, got := call(g, given); st != 401 || got != unknown {
					t.Errorf("replica %d, the key given before the file: %d %s", i, st, got)
				}
			}
			if st, body := admin("PATCH", "/subscriptions/partner-a", `{"primaryKeySha256": "`+gateway.HashKey("other-SECRET")+`"}`); st != 409 || !strings.Contains(body, "subscription keys file") {
				t.Errorf("PATCH keys the file gives: %d %s", st, body)
			}
		})
	}
}
