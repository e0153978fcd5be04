package gateway_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// writeGatewayFolder writes an APIOps folder with two APIs and the
// self-hosted gateway resource "edge", to which only orders is assigned.
// Each API answers with context.Deployment's gateway id and region.
func writeGatewayFolder(t *testing.T) string {
	dir := t.TempDir()
	for _, name := range []string{"orders", "users"} {
		writeFile(t, dir, "apis/"+name+"/apiInformation.json", `{"properties": {"path": "`+name+`",
  "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
		writeFile(t, dir, "apis/"+name+"/policy.xml", `<policies><inbound><base />
  <return-response><set-body>@(context.Deployment.GatewayId + "|" + context.Deployment.Region + "|" + context.Deployment.ServiceName)</set-body></return-response>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
	}
	writeFile(t, dir, "gateways/edge/gatewayInformation.json", `{"properties": {"locationData": {"name": "Factory floor", "city": "Lyon"}, "description": "plant gateway"}}`)
	writeFile(t, dir, "gateways/edge/apis.json", `[{"name": "orders"}]`)
	writeFile(t, dir, "gateways/cloud/gatewayInformation.json", `{"properties": {"locationData": {"name": "cloud"}}}`)
	return dir
}

// As an APIM self-hosted gateway, tollgate serving as the gateway resource
// "edge" serves the APIs assigned to it (apis.json) and no other, and
// context.Deployment names the gateway and its location; a reload that
// assigns another API serves it too.
func TestServeAsGateway(t *testing.T) {
	dir := writeGatewayFolder(t)
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Gateway = "edge"
		o.Deployment = &engine.Deployment{ServiceName: "contoso-apim", GatewayId: "host-1"}
	})
	if resp, body := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 || body != "edge|Factory floor|contoso-apim" {
		t.Fatalf("orders: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, g.url+"/users/1", nil); resp.StatusCode != 404 {
		t.Fatalf("users, not assigned: %d", resp.StatusCode)
	}
	notices := strings.Join(g.srv.Current().Notices, "\n")
	if !strings.Contains(notices, "gateways/edge/apis.json: ignored: API users (not assigned to gateway edge)") || strings.Contains(notices, "ignored: gateways") {
		t.Fatalf("notices:\n%s", notices)
	}

	// The watcher sees the assignment change: no restart, no SIGHUP.
	w, err := gateway.Watch(testCtx(t), g.srv, dir, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	writeFile(t, dir, "gateways/edge/apis.json", `[{"name": "orders"}, {"name": "users"}]`)
	deadline := time.Now().Add(testTimeout)
	for {
		resp, body := get(t, g.url+"/users/1", nil)
		if resp.StatusCode == 200 && body == "edge|Factory floor|contoso-apim" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("users, assigned: %d %q", resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Without --gateway every API is served and context.Deployment is the
// server's own.
func TestServeEveryAPIWithoutGateway(t *testing.T) {
	g := startGateway(t, writeGatewayFolder(t), func(o *gateway.Options) {
		o.Deployment = &engine.Deployment{ServiceName: "contoso-apim", GatewayId: "host-1"}
	})
	for _, p := range []string{"/orders/1", "/users/1"} {
		if resp, body := get(t, g.url+p, nil); resp.StatusCode != 200 || body != "host-1||contoso-apim" {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
}

func TestGatewayLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name, gw, apis, want string
	}{
		{"unknown gateway", "plant", "", `gateways: gateway "plant" is not in the folder (gateways: cloud, edge)`},
		{"unknown API", "edge", "[\n  {\"name\": \"orders\"},\n  {\"name\": \"billing\"}\n]", `gateways/edge/apis.json:3:12: gateway "edge" lists API "billing", which does not exist`},
		// apis/broken/apiInformation.json is malformed: reported there, once.
		{"API that did not load", "edge", "[\n  {\"name\": \"broken\"}\n]", `gateways/edge/apis.json:2:12: gateway "edge" lists API "broken", which did not load (its own errors are listed)`},
		{"not a list", "edge", `{"name": "orders"}`, `gateways/edge/apis.json:1:1:`},
		{"path in the name", "../edge", "", `gateway "../edge" is not in the folder`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeGatewayFolder(t)
			writeFile(t, dir, "apis/broken/apiInformation.json", `{"properties": {"path": "broken",}}`)
			if c.apis != "" {
				writeFile(t, dir, "gateways/edge/apis.json", c.apis)
			}
			_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{Gateway: c.gw, Getenv: func(string) string { return "" }})
			if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
				t.Fatalf("errors:\n%v\nwant %s", errs, c.want)
			}
		})
	}
}

// TestGatewayNoticeNamesAPIOnce: an API that is not assigned to the
// gateway is named once in the notice, however many revisions its folder
// has (an extract with NAME/ and NAME;rev=1/ used to list NAME twice).
func TestGatewayNoticeNamesAPIOnce(t *testing.T) {
	dir := writeGatewayFolder(t)
	writeFile(t, dir, "apis/users;rev=3/apiInformation.json", `{"properties": {"path": "users", "apiRevision": "3",
  "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	snap, errs := loadDirWith(t, dir, gateway.LoadOptions{Gateway: "edge", Getenv: func(string) string { return "" }})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	notices := strings.Join(snap.Notices, "\n")
	if !strings.Contains(notices, "gateways/edge/apis.json: ignored: API users (not assigned to gateway edge)") {
		t.Fatalf("notices:\n%s", notices)
	}
}
