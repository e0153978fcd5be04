package gateway_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

// vaultSecrets is a gateway.SecretReader over a map, counting reads.
type vaultSecrets struct {
	mu     sync.Mutex
	values map[string]string // secret identifier -> value
	asked  []string          // "identifier client-id"
}

func (v *vaultSecrets) Secret(_ context.Context, id, client string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.asked = append(v.asked, id+" "+client)
	val, ok := v.values[id]
	if !ok {
		return "", errors.New("the vault has no such secret (404)")
	}
	return val, nil
}

func (v *vaultSecrets) set(id, val string) {
	v.mu.Lock()
	v.values[id] = val
	v.mu.Unlock()
}

// writeVaultFolder: an API whose policy sends {{backend-key}} to the
// backend, the named value a Key Vault reference as APIM's extractor
// writes it.
func writeVaultFolder(t *testing.T, backendURL string) string {
	dir := t.TempDir()
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+backendURL+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base />
  <set-header name="X-Backend-Key" exists-action="override"><value>{{backend-key}}</value></set-header>
</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`)
	writeFile(t, dir, "named values/backend-key/namedValueInformation.json", `{
  "properties": {
    "displayName": "backend-key",
    "secret": true,
    "keyVault": {
      "secretIdentifier": "https://contoso.vault.azure.net/secrets/backend-key",
      "identityClientId": null
    },
    "tags": []
  }
}`)
	return dir
}

// A named value that is a Key Vault reference takes its value from the
// vault (with the system-assigned identity when identityClientId is
// null); a reload reads it again, so a rotated secret is used; a secret
// the vault cannot give is a load error at the keyVault property, and the
// environment still wins over the vault.
func TestKeyVaultNamedValue(t *testing.T) {
	backend := newRESTBackend(t, nil)
	dir := writeVaultFolder(t, backend.url)
	const id = "https://contoso.vault.azure.net/secrets/backend-key"
	vault := &vaultSecrets{values: map[string]string{id: "first-SECRET"}}
	g := startGateway(t, dir, func(o *gateway.Options) { o.KeyVault = vault })
	if resp, _ := get(t, g.url+"/orders/1", nil); resp.StatusCode != 200 || backend.last.Load().header.Get("X-Backend-Key") != "first-SECRET" {
		t.Fatalf("status %d, key %q", resp.StatusCode, backend.last.Load().header.Get("X-Backend-Key"))
	}
	if len(vault.asked) != 1 || vault.asked[0] != id+" " {
		t.Fatalf("vault reads %q", vault.asked)
	}
	vault.set(id, "rotated-SECRET")
	if st := g.srv.Reload("key vault refresh"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	if get(t, g.url+"/orders/1", nil); backend.last.Load().header.Get("X-Backend-Key") != "rotated-SECRET" {
		t.Fatalf("after rotation: %q", backend.last.Load().header.Get("X-Backend-Key"))
	}

	delete(vault.values, id)
	_, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{KeyVault: vault, Getenv: func(string) string { return "" }})
	// An error where the policy uses it, saying where it is defined.
	if want := `named value "backend-key": Key Vault secret ` + id + `: the vault has no such secret (404) (or set TOLLGATE_NAMED_VALUE_BACKEND_KEY) (it is defined at ` +
		filepath.Join(dir, "named values", "backend-key", "namedValueInformation.json") + `:5:5)`; !strings.Contains(errs.Error(), want) {
		t.Fatalf("errors:\n%v\nwant …%s", errs, want)
	}
	snap, errs := gateway.Load(dir, policies.Registry(policies.Deps{Store: store.NewMemory()}), gateway.LoadOptions{KeyVault: vault,
		Getenv: func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_BACKEND_KEY" {
				return "from-env-SECRET"
			}
			return ""
		}})
	if len(errs) > 0 || len(snap.Named.Secrets()) != 1 || snap.Named.Secrets()[0] != "from-env-SECRET" {
		t.Fatalf("with the environment: %v", errs)
	}
}
