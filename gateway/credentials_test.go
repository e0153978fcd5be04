package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"tollgate/gateway"
	"tollgate/policies"
	"tollgate/store"
)

const credTestSecret = "cred-SECRET-1"

// tokenServer is a client-credentials token endpoint: it hands out
// at-1, at-2, … to the client app with credTestSecret.
type tokenServer struct {
	*httptest.Server
	issued atomic.Int64
	mu     sync.Mutex
	scopes []string
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != credTestSecret || r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		ts.mu.Lock()
		ts.scopes = append(ts.scopes, r.PostForm.Get("scope"))
		ts.mu.Unlock()
		n := ts.issued.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-%d", n), "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// credFolder writes an APIOps-style folder: an API whose policy attaches
// the connection's token (APIM's "attach the token" example), the
// provider (its secret a secret named value), the connection and its
// access policy for the gateway's identity.
func credFolder(t *testing.T, dir, tokenURL, backend, scopes string) {
	writeFile(t, dir, "named values/idp-secret/namedValueInformation.json", `{"properties": {"displayName": "idp-secret", "secret": true}}`)
	writeFile(t, dir, "authorizationProviders/idp/authorizationProviderInformation.json", `{
  "properties": {
    "displayName": "idp",
    "identityProvider": "oauth2",
    "oauth2": {
      "grantTypes": {
        "clientCredentials": {"clientId": "app", "clientSecret": "{{idp-secret}}", "tokenUrl": "`+tokenURL+`", "scopes": "`+scopes+`"}
      }
    }
  }
}`)
	writeFile(t, dir, "authorizationProviders/idp/authorizations/conn/authorizationInformation.json",
		`{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "ClientCredentials"}}`)
	writeFile(t, dir, "authorizationProviders/idp/authorizations/conn/accessPolicies/gateway/accessPolicyInformation.json",
		`{"properties": {"tenantId": "tenant-1", "objectId": "object-1"}}`)
	writeFile(t, dir, "apis/orders/apiInformation.json", `{"properties": {"path": "orders", "serviceUrl": "`+backend+`", "subscriptionRequired": false}}`)
	writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base/>
<get-authorization-context provider-id="idp" authorization-id="conn" context-variable-name="auth-context" identity-type="managed" ignore-error="false" />
<set-header name="Authorization" exists-action="override">
    <value>@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("auth-context"))?.AccessToken)</value>
</set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
}

// TestCredentialManagerEndToEnd: a request through the gateway gets the
// connection's token from the provider (once), a reload keeps it, a
// broken credential file keeps the running configuration, and a changed
// provider takes effect on reload.
func TestCredentialManagerEndToEnd(t *testing.T) {
	ts := newTokenServer(t)
	var seen atomic.Value
	backend := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	})
	dir := t.TempDir()
	credFolder(t, dir, ts.URL+"/token", backend.URL, "orders.read")
	st := store.NewMemory()
	creds := policies.NewCredentials(policies.CredentialsOptions{Store: st, Identity: policies.GatewayIdentity{ObjectID: "object-1", TenantID: "tenant-1"}})
	g := startGateway(t, dir, func(o *gateway.Options) {
		o.Registry = policies.Registry(policies.Deps{Store: st, Credentials: creds})
		o.Credentials = creds
		o.Getenv = func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_IDP_SECRET" {
				return credTestSecret
			}
			return ""
		}
	})
	call := func(want string) {
		t.Helper()
		res, body := get(t, g.url+"/orders/1", nil)
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
		if got, _ := seen.Load().(string); got != want {
			t.Fatalf("backend got Authorization %q, want %q", got, want)
		}
	}
	call("Bearer at-1")
	call("Bearer at-1")
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadUnchanged {
		t.Fatalf("reload: %+v", st)
	}
	// A broken provider file: the reload fails, the running one serves.
	writeFile(t, dir, "authorizationProviders/idp/authorizationProviderInformation.json", `{"properties": {"identityProvider": "linkedin"}}`)
	if st := g.srv.Reload("test"); st.Result == gateway.ReloadUnchanged || len(st.Errors) == 0 || !strings.Contains(strings.Join(st.Errors, "\n"), "identity provider \"linkedin\" is not supported") {
		t.Fatalf("broken reload: %+v", st)
	}
	call("Bearer at-1")
	// A changed provider: a new client, a new token.
	credFolder(t, dir, ts.URL+"/token", backend.URL, "orders.write")
	if st := g.srv.Reload("test"); len(st.Errors) > 0 {
		t.Fatalf("reload: %+v", st)
	}
	call("Bearer at-2")
	if n := ts.issued.Load(); n != 2 {
		t.Fatalf("%d tokens issued, want 2", n)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if strings.Join(ts.scopes, ",") != "orders.read,orders.write" {
		t.Fatalf("scopes %v", ts.scopes)
	}
}
