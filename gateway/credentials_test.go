package gateway_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// TestCredentialConsentOnAdmin: an authorization-code connection is
// consented on the admin listener (login link → provider → callback), its
// token then reaches the backend, and GET /credentials shows its status,
// never a token.
func TestCredentialConsentOnAdmin(t *testing.T) {
	var codeChallenge atomic.Value
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("client_secret") != credTestSecret || r.PostForm.Get("grant_type") != "authorization_code" ||
			r.PostForm.Get("code") != "code-1" || r.PostForm.Get("code_verifier") == "" || codeChallenge.Load() == nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"at-code","refresh_token":"rt-SECRET-1","token_type":"Bearer","expires_in":3600}`))
	}))
	defer idp.Close()
	var seen atomic.Value
	backend := newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	})
	dir := t.TempDir()
	credFolder(t, dir, idp.URL+"/token", backend.URL, "read")
	writeFile(t, dir, "authorizationProviders/idp/authorizationProviderInformation.json", `{"properties": {"identityProvider": "oauth2pkce",
  "oauth2": {"grantTypes": {"authorizationCode": {"clientId": "app", "clientSecret": "{{idp-secret}}", "authorizationUrl": "`+idp.URL+`/authorize",
    "tokenUrl": "`+idp.URL+`/token", "refreshUrl": "`+idp.URL+`/token", "scopes": "read"}}}}}`)
	writeFile(t, dir, "authorizationProviders/idp/authorizations/conn/authorizationInformation.json",
		`{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "AuthorizationCode"}}`)
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
	admin := g.adminURL()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status := func() string {
		t.Helper()
		res, body := get(t, admin+"/credentials", nil)
		body = strings.Join(strings.Fields(body), "")
		if res.StatusCode != http.StatusOK || strings.Contains(body, "at-code") || strings.Contains(body, "rt-") {
			t.Fatalf("GET /credentials: %d %s", res.StatusCode, body)
		}
		noSecretIn(t, "GET /credentials", body)
		return body
	}
	if body := status(); !strings.Contains(body, `"status":"Error"`) || !strings.Contains(body, `"code":"Unauthenticated"`) || !strings.Contains(body, `"login":"/credentials/idp/conn/login"`) {
		t.Fatalf("before consent: %s", body)
	}
	// Before consent the policy fails with 500.
	if res, _ := get(t, g.url+"/orders/1", nil); res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("before consent: %d", res.StatusCode)
	}
	res, err := noRedirect.Get(admin + "/credentials/idp/conn/login?redirect=/credentials")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), idp.URL+"/authorize?") {
		t.Fatalf("login: %d %s", res.StatusCode, loc)
	}
	q := loc.Query()
	if q.Get("redirect_uri") != admin+"/credentials/callback" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorize URL %s", loc)
	}
	codeChallenge.Store(q.Get("code_challenge"))
	// The provider sends the browser back with a code.
	res, err = noRedirect.Get(q.Get("redirect_uri") + "?code=code-1&state=" + url.QueryEscape(q.Get("state")))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/credentials" {
		t.Fatalf("callback: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res, body := get(t, g.url+"/orders/1", nil); res.StatusCode != http.StatusNoContent || seen.Load() != "Bearer at-code" {
		t.Fatalf("after consent: %d %s %v", res.StatusCode, body, seen.Load())
	}
	if body := status(); !strings.Contains(body, `"status":"Connected"`) {
		t.Fatalf("after consent: %s", body)
	}
	// Hostile: an open redirect, an unknown connection, a replayed or forged state.
	for path, want := range map[string]int{
		"/credentials/idp/conn/login?redirect=https://evil.example/":                 http.StatusBadRequest,
		"/credentials/idp/conn/login?redirect=//evil.example/":                       http.StatusBadRequest,
		"/credentials/idp/nope/login":                                                http.StatusNotFound,
		"/credentials/callback?code=code-1&state=" + url.QueryEscape(q.Get("state")): http.StatusBadRequest,
		"/credentials/callback?code=x&state=forged":                                  http.StatusBadRequest,
	} {
		res, err := noRedirect.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
}
