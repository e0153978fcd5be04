package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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

// authBackend is a backend that records the Authorization header it gets
// and answers 204.
func authBackend(t *testing.T) (*httptest.Server, *atomic.Value) {
	seen := new(atomic.Value)
	return newHTTPBackend(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNoContent)
	}), seen
}

// credGateway serves dir with a credential manager of its own (the
// gateway's identity object-1 in tenant-1) and the provider's secret named
// value set.
func credGateway(t *testing.T, dir string) (*testGateway, *policies.Credentials) {
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
	return g, creds
}

// callWithToken calls the orders API through g and checks the backend got
// Authorization want.
func callWithToken(t *testing.T, g *testGateway, seen *atomic.Value, want string) {
	t.Helper()
	res, body := get(t, g.url+"/orders/1", nil)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d: %s", res.StatusCode, body)
	}
	if got, _ := seen.Load().(string); got != want {
		t.Fatalf("backend got Authorization %q, want %q", got, want)
	}
}

// TestCredentialManagerEndToEnd: a request through the gateway gets the
// connection's token from the provider (once), a reload keeps it, a
// broken credential file keeps the running configuration, and a changed
// provider takes effect on reload.
func TestCredentialManagerEndToEnd(t *testing.T) {
	ts := newTokenServer(t)
	backend, seen := authBackend(t)
	dir := t.TempDir()
	credFolder(t, dir, ts.URL+"/token", backend.URL, "orders.read")
	g, _ := credGateway(t, dir)
	call := func(want string) { t.Helper(); callWithToken(t, g, seen, want) }
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
	backend, seen := authBackend(t)
	dir := t.TempDir()
	credFolder(t, dir, idp.URL+"/token", backend.URL, "read")
	writeFile(t, dir, "authorizationProviders/idp/authorizationProviderInformation.json", `{"properties": {"identityProvider": "oauth2pkce",
  "oauth2": {"grantTypes": {"authorizationCode": {"clientId": "app", "clientSecret": "{{idp-secret}}", "authorizationUrl": "`+idp.URL+`/authorize",
    "tokenUrl": "`+idp.URL+`/token", "refreshUrl": "`+idp.URL+`/token", "scopes": "read"}}}}}`)
	writeFile(t, dir, "authorizationProviders/idp/authorizations/conn/authorizationInformation.json",
		`{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "AuthorizationCode"}}`)
	g, _ := credGateway(t, dir)
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
	// A redirect with markup in it (only an admin can make a login link):
	// the callback's page escapes it.
	res, err := noRedirect.Get(admin + "/credentials/idp/conn/login?redirect=" + url.QueryEscape(`/credentials?a="><b>x`))
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
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	// Not a redirect: a page that goes on by itself, so that its navigation
	// starts on the admin listener's site (the console's SameSite=Strict
	// cookie comes along).
	if res.StatusCode != http.StatusOK || res.Header.Get("Location") != "" || res.Header.Get("Referrer-Policy") != "no-referrer" ||
		!strings.Contains(string(page), `<meta http-equiv="refresh" content="0;url=/credentials?a=&#34;&gt;&lt;b&gt;x">`) || strings.Contains(string(page), `"><b>`) {
		t.Fatalf("callback: %d %s %s", res.StatusCode, res.Header, page)
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

// TestCredentialProviderWithoutValue: a credential provider (or a
// connection) whose secret named value has no value loads; it is an error
// only where a literal provider-id (authorization-id) names it, and a
// notice otherwise, which says which expressions may name it. A reload
// that reuses the APIs says the same.
func TestCredentialProviderWithoutValue(t *testing.T) {
	const (
		nvFile   = "named values/idp-secret/namedValueInformation.json"
		provFile = "authorizationProviders/idp/authorizationProviderInformation.json"
		connFile = "authorizationProviders/idp/authorizations/conn/authorizationInformation.json"
		missing  = `secret named value "idp-secret" has no value in the folder: set TOLLGATE_NAMED_VALUE_IDP_SECRET or give it in a named values file (--named-values) (it is defined at ` + nvFile + `:1:1)`
		provNote = provFile + `:5:48: ignored: credential provider idp cannot be used: oauth2.grantTypes.clientCredentials.clientSecret: ` + missing
		connNote = connFile + `:2:57: ignored: connection conn of credential provider idp cannot be used: parameters.clientSecret: ` + missing
		literal  = `<policies><inbound><base/><get-authorization-context provider-id="idp" authorization-id="conn" context-variable-name="a"/></inbound></policies>`
		byHeader = `<policies><inbound><base/><get-authorization-context provider-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-P&quot;, &quot;&quot;))" authorization-id="conn" context-variable-name="a"/></inbound></policies>`
		connExpr = `<policies><inbound><base/><get-authorization-context provider-id="idp" authorization-id="@(context.Request.Headers.GetValueOrDefault(&quot;X-C&quot;, &quot;&quot;))" context-variable-name="a"/></inbound></policies>`
	)
	provider := func(secret string) string {
		return `{
  "properties": {
    "identityProvider": "oauth2",
    "oauth2": {"grantTypes": {
      "clientCredentials": {"clientId": "app", "clientSecret": "` + secret + `", "tokenUrl": "https://idp.example/token"}
    }}
  }
}`
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		env   map[string]string
		errs  []string
		notes []string
	}{
		{name: "nothing uses it", notes: []string{provNote + ` (nothing uses it)`}},
		{name: "the value from the environment", files: map[string]string{"apis/orders/policy.xml": literal},
			env: map[string]string{"TOLLGATE_NAMED_VALUE_IDP_SECRET": "v"}},
		{name: "an API policy names it", files: map[string]string{"apis/orders/policy.xml": literal},
			errs: []string{`apis/orders/policy.xml:1:67: inbound/get-authorization-context[1]: credential provider "idp" cannot be used: ` + provFile + `:5:48: oauth2.grantTypes.clientCredentials.clientSecret: ` + missing}},
		{name: "an expression may name it", files: map[string]string{"apis/orders/policy.xml": byHeader},
			notes: []string{provNote + ` (no literal provider-id names it; the get-authorization-context whose id is the expression at apis/orders/policy.xml:1:67 fails with AuthorizationFailed when it names it)`}},
		{name: "an expression in the global policy", files: map[string]string{"policy.xml": byHeader},
			notes: []string{provNote + ` (no literal provider-id names it; the get-authorization-context whose id is the expression at policy.xml:1:67 fails with AuthorizationFailed when it names it)`}},
		{name: "a connection's own secret", files: map[string]string{provFile: provider("literal-SECRET-x"), "apis/orders/policy.xml": connExpr,
			connFile: `{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "ClientCredentials",
                "parameters": {"clientId": "other-app", "clientSecret": "{{idp-secret}}"}}}`},
			notes: []string{connNote + ` (no literal authorization-id names it; the get-authorization-context whose id is the expression at apis/orders/policy.xml:1:90 fails with AuthorizationFailed when it names it)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, nvFile, `{"properties": {"displayName": "idp-secret", "secret": true}}`)
			writeFile(t, dir, provFile, provider("{{idp-secret}}"))
			writeFile(t, dir, connFile, `{"properties": {"authorizationType": "OAuth2", "oauth2grantType": "ClientCredentials"}}`)
			writeFile(t, dir, "apis/orders/apiInformation.json", extractedOrdersAPI)
			for name, content := range tc.files {
				writeFile(t, dir, name, content)
			}
			opts := gateway.LoadOptions{Getenv: func(k string) string { return tc.env[k] }}
			snap, errs := loadDirWith(t, dir, opts)
			if strings.Join(errs, "\n") != strings.Join(tc.errs, "\n") {
				t.Fatalf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(tc.errs, "\n"))
			}
			if snap == nil {
				return
			}
			notes := credentialNotices(t, snap, dir)
			if strings.Join(notes, "\n") != strings.Join(tc.notes, "\n") {
				t.Errorf("notices:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(tc.notes, "\n"))
			}
			// A reload that changes nothing reuses the API as compiled and
			// says the same.
			opts.Previous = snap
			again, errs := loadDirWith(t, dir, opts)
			if len(errs) > 0 || again.APIs[0] != snap.APIs[0] || !slices.Equal(credentialNotices(t, again, dir), notes) {
				t.Errorf("reloaded: %v\n%s", errs, strings.Join(credentialNotices(t, again, dir), "\n"))
			}
		})
	}
}

// credentialNotices are the snapshot's notices about credential providers,
// with dir/ left out.
func credentialNotices(t *testing.T, snap *gateway.Snapshot, dir string) []string {
	var notes []string
	for _, n := range snap.Notices {
		if strings.Contains(n, "credential provider") {
			if strings.Contains(n, "literal-SECRET") {
				t.Errorf("a notice shows a secret: %s", n)
			}
			notes = append(notes, strings.ReplaceAll(n, dir+string(filepath.Separator), ""))
		}
	}
	return notes
}

// TestCredentialStatesAfterReloads: reloads that change a connection's
// definition do not pile up the manager's connection states; a reload
// that fails keeps the served configuration and its token.
func TestCredentialStatesAfterReloads(t *testing.T) {
	ts := newTokenServer(t)
	backend, seen := authBackend(t)
	dir := t.TempDir()
	credFolder(t, dir, ts.URL+"/token", backend.URL, "scope-0")
	g, creds := credGateway(t, dir)
	call := func(want string) { t.Helper(); callWithToken(t, g, seen, want) }
	call("Bearer at-1")
	const reloads = 10
	for i := 1; i <= reloads; i++ {
		credFolder(t, dir, ts.URL+"/token", backend.URL, fmt.Sprintf("scope-%d", i))
		if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
			t.Fatalf("reload %d: %+v", i, st)
		}
		call(fmt.Sprintf("Bearer at-%d", i+1))
		if n := creds.States(); n != 1 {
			t.Fatalf("after %d reloads the manager holds %d connection states, want 1", i, n)
		}
	}
	// A reload that fails keeps the served configuration, its state and
	// its token.
	writeFile(t, dir, "authorizationProviders/idp/authorizations/conn/authorizationInformation.json", `{"properties": {"authorizationType": "Basic"}}`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadFailure {
		t.Fatalf("broken reload: %+v", st)
	}
	call(fmt.Sprintf("Bearer at-%d", reloads+1))
	if n := creds.States(); n != 1 {
		t.Fatalf("after a failed reload: %d connection states, want 1", n)
	}
	// A reload that removes the provider (and its policy) forgets it.
	if err := os.RemoveAll(filepath.Join(dir, "authorizationProviders")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "apis/orders/policy.xml", `<policies><inbound><base/></inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	if st := g.srv.Reload("test"); st.Result != gateway.ReloadSuccess {
		t.Fatalf("reload: %+v", st)
	}
	if n := creds.States(); n != 0 {
		t.Fatalf("after removing the provider: %d connection states, want 0", n)
	}
}
