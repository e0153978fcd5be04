package policies

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeVault is Key Vault's secret API: GET /secrets/NAME[/VERSION] with a
// bearer token, answering {"value": …}.
func fakeVault(t *testing.T, token string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch {
		case r.URL.Query().Get("api-version") != "7.4":
			w.WriteHeader(http.StatusBadRequest)
		case r.Header.Get("Authorization") != "Bearer "+token:
			w.WriteHeader(http.StatusForbidden)
		case r.URL.Path == "/secrets/backend-key" || r.URL.Path == "/secrets/backend-key/0f1e":
			w.Write([]byte(`{"value": "kv-SECRET-value", "id": "x", "attributes": {"enabled": true}}`))
		case r.URL.Path == "/secrets/empty":
			w.Write([]byte(`{"id": "x"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func tokenServer(t *testing.T, token string, scopes *[]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		*scopes = append(*scopes, r.Form.Get("scope"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"` + token + `","expires_in":3600,"token_type":"Bearer"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestKeyVaultSecret(t *testing.T) {
	vault, calls := fakeVault(t, "vault-token")
	var scopes []string
	idp := tokenServer(t, "vault-token", &scopes)
	kv := NewKeyVault(map[string]Identity{
		"":     {TokenURL: idp.URL, ClientID: "gw", ClientSecret: "SECRET-1"},
		"user": {TokenURL: idp.URL, ClientID: "u", ClientSecret: "SECRET-2"},
	}, vault.Client(), nil)
	now := time.Unix(1_800_000_000, 0)
	kv.now = func() time.Time { return now }
	ctx := context.Background()
	for _, c := range []struct {
		name, id, client, want, err string
	}{
		{"system-assigned", vault.URL + "/secrets/backend-key", "", "kv-SECRET-value", ""},
		{"SystemAssigned by name, a version", vault.URL + "/secrets/backend-key/0f1e", "SystemAssigned", "kv-SECRET-value", ""},
		{"user-assigned", vault.URL + "/secrets/backend-key", "user", "kv-SECRET-value", ""},
		{"no such secret", vault.URL + "/secrets/other", "", "", "no such secret (404)"},
		{"no value", vault.URL + "/secrets/empty", "", "", "no secret value"},
		{"unknown identity", vault.URL + "/secrets/backend-key", "nobody", "", `no identity is configured for client-id "nobody"`},
		{"not https", "http://v.vault.azure.net/secrets/a", "", "", "not an https://"},
		{"not a secret", vault.URL + "/keys/a", "", "", "does not name a secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := kv.Secret(ctx, c.id, c.client)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "SECRET") {
					t.Fatalf("error %v, want one with %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("%q, %v", got, err)
			}
		})
	}
	// Read once per secret and identity, then from the cache until
	// KeyVaultRefresh has passed.
	before := calls.Load()
	if _, err := kv.Secret(ctx, vault.URL+"/secrets/backend-key", ""); err != nil || calls.Load() != before {
		t.Fatalf("not cached: %d calls, %v", calls.Load()-before, err)
	}
	now = now.Add(KeyVaultRefresh + time.Second)
	if _, err := kv.Secret(ctx, vault.URL+"/secrets/backend-key", ""); err != nil || calls.Load() != before+1 {
		t.Fatalf("not read again after %s: %d calls, %v", KeyVaultRefresh, calls.Load()-before, err)
	}
	for _, s := range scopes {
		if s != "https://vault.azure.net/.default" {
			t.Fatalf("token scopes %q", scopes)
		}
	}
}

// A vault that refuses the identity: the error says what role it needs.
func TestKeyVaultRefused(t *testing.T) {
	vault, _ := fakeVault(t, "right-token")
	var scopes []string
	idp := tokenServer(t, "wrong-token", &scopes)
	kv := NewKeyVault(map[string]Identity{"": {TokenURL: idp.URL, ClientID: "gw", ClientSecret: "SECRET-1"}}, vault.Client(), nil)
	_, err := kv.Secret(context.Background(), vault.URL+"/secrets/backend-key", "")
	if err == nil || !strings.Contains(err.Error(), "refused the identity (403)") || strings.Contains(err.Error(), "token") && strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("error %v", err)
	}
}
