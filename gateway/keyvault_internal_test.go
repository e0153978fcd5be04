package gateway

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"tollgate/policies"
	"tollgate/store"
)

// rotatingVault answers the value it holds now.
type rotatingVault struct{ value atomic.Pointer[string] }

func (v *rotatingVault) Secret(context.Context, string, string) (string, error) {
	return *v.value.Load(), nil
}

// The refresher reloads while the configuration has Key Vault named
// values: a rotated secret is served without a file change.
func TestRefreshKeyVault(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9", "subscriptionRequired": false}}`)
	write("named values/key/namedValueInformation.json", `{"properties": {"displayName": "key", "secret": true,
  "keyVault": {"secretIdentifier": "https://contoso.vault.azure.net/secrets/key"}}}`)
	vault := &rotatingVault{}
	first, second := "first-SECRET", "second-SECRET"
	vault.value.Store(&first)
	s, err := New(Options{Dir: dir, Registry: policies.Registry(policies.Deps{Store: store.NewMemory()}), KeyVault: vault,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if got := s.Current().Named.Secrets(); len(got) != 1 || got[0] != first {
		t.Fatalf("secrets %q", got)
	}
	go s.refreshKeyVault(10 * time.Millisecond)
	vault.value.Store(&second)
	deadline := time.Now().Add(10 * time.Second)
	// The swap comes before the reload's status: wait for both.
	for s.Current().Named.Secrets()[0] != second || s.LastReload().Trigger != "key vault refresh" {
		if time.Now().After(deadline) {
			t.Fatalf("the rotated secret was not loaded: last reload %+v", s.LastReload())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
