package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/zap/zaptest"

	"tollgate/gateway"
	"tollgate/gateway/console"
	"tollgate/policies"
	"tollgate/store"
)

// connSecret is the providers' client secret, a secret named value: it
// must never reach the console.
const connSecret = "SECRET-client-9"

// fakeIdP is a provider's token endpoint: client credentials for the
// client "app" with connSecret, the authorization code "code-1", and
// invalid_client for any other client.
func fakeIdP(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var issued atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/token" || r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != connSecret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"got ` + r.PostForm.Get("client_secret") + `"}`))
			return
		}
		if g := r.PostForm.Get("grant_type"); g == "authorization_code" && r.PostForm.Get("code") != "code-1" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		n := issued.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("at-TOKEN-%d", n), "refresh_token": "rt-SECRET-1",
			"token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(s.Close)
	return s, &issued
}

// connectionsDir is an APIOps folder with three credential providers:
// a client-credentials one an API uses, one whose token endpoint refuses
// its client, and an authorization-code one.
func connectionsDir(t *testing.T, idp, backend string) string {
	dir := t.TempDir()
	write(t, dir, "named values/idp-secret/namedValueInformation.json", `{"properties": {"displayName": "idp-secret", "secret": true}}`)
	provider := func(id, grant, clientID, extra string) {
		write(t, dir, "authorizationProviders/"+id+"/authorizationProviderInformation.json", `{"properties": {"identityProvider": "oauth2",
  "oauth2": {"grantTypes": {"`+grant+`": {"clientId": "`+clientID+`", "clientSecret": "{{idp-secret}}", "tokenUrl": "`+idp+`/token"`+extra+`}}}}}`)
		write(t, dir, "authorizationProviders/"+id+"/authorizations/conn/authorizationInformation.json", `{"properties": {"authorizationType": "OAuth2"}}`)
		write(t, dir, "authorizationProviders/"+id+"/authorizations/conn/accessPolicies/gw/accessPolicyInformation.json",
			`{"properties": {"tenantId": "tenant-1", "objectId": "object-1"}}`)
	}
	provider("cc", "clientCredentials", "app", "")
	provider("refused", "clientCredentials", "someone-else", "")
	provider("code", "authorizationCode", "app", `, "authorizationUrl": "`+idp+`/authorize"`)
	for _, id := range []string{"cc", "refused"} {
		write(t, dir, "apis/"+id+"/apiInformation.json", `{"properties": {"path": "`+id+`", "serviceUrl": "`+backend+`", "subscriptionRequired": false}}`)
		write(t, dir, "apis/"+id+"/policy.xml", `<policies><inbound><base/>
<get-authorization-context provider-id="`+id+`" authorization-id="conn" context-variable-name="auth" identity-type="managed" ignore-error="false"/>
<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables["auth"]).AccessToken)</value></set-header>
</inbound><backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error></policies>`)
	}
	return dir
}

// startWithCredentials is start with a credential manager (the gateway's
// identity object-1 in tenant-1, idp-secret's value connSecret).
func startWithCredentials(t *testing.T, dir, token string) *env {
	t.Helper()
	st := store.NewMemory()
	creds := policies.NewCredentials(policies.CredentialsOptions{Store: st, Identity: policies.GatewayIdentity{ObjectID: "object-1", TenantID: "tenant-1"}})
	srv, err := gateway.New(gateway.Options{Dir: dir, Log: zaptest.NewLogger(t), Credentials: creds,
		Registry: policies.Registry(policies.Deps{Store: st, Credentials: creds}),
		Getenv: func(k string) string {
			if k == "TOLLGATE_NAMED_VALUE_IDP_SECRET" {
				return connSecret
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	mux := http.NewServeMux()
	mux.Handle("/", srv.AdminHandler())
	con := console.New(console.Options{Server: srv, GatewayURL: gw.URL})
	con.Register(mux)
	admin := httptest.NewServer(console.Protect(mux, token))
	t.Cleanup(func() {
		admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
		gw.Close()
		con.Close()
	})
	return &env{dir: dir, srv: srv, gw: gw, admin: admin}
}

type connectionsView struct {
	Connections []console.ConnectionView `json:"connections"`
}

// connectionsOf reads the console's connections, and checks that no token
// or secret is in the answer.
func connectionsOf(t *testing.T, e *env) map[string]console.ConnectionView {
	t.Helper()
	resp, err := http.Get(e.admin.URL + "/console/api/connections")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("connections: %d %s", resp.StatusCode, data)
	}
	for _, bad := range []string{"SECRET", "TOKEN", "rt-"} {
		if strings.Contains(string(data), bad) {
			t.Fatalf("the connections view shows a token or a secret (%s): %s", bad, data)
		}
	}
	var v connectionsView
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]console.ConnectionView{}
	for _, c := range v.Connections {
		out[c.Provider+"/"+c.Connection] = c
	}
	return out
}

// TestConnections: the console lists the credential manager's connections
// with their status, provider, grant type and token expiry — never a
// token or a secret — and an authorization-code connection's login link,
// which brings the operator back to the console once connected.
func TestConnections(t *testing.T) {
	idp, issued := fakeIdP(t)
	_, backend := backends(t)
	e := startWithCredentials(t, connectionsDir(t, idp.URL, backend), "")
	const login = "/credentials/code/conn/login?redirect=%2Fconsole%2F%23%2Fconnections"

	type want struct {
		status, code, grant, login string
		expires                    bool
	}
	check := func(when string, wants map[string]want) {
		t.Helper()
		got := connectionsOf(t, e)
		if len(got) != len(wants) {
			t.Fatalf("%s: %d connections, want %d: %+v", when, len(got), len(wants), got)
		}
		for name, w := range wants {
			c := got[name]
			code := ""
			if c.Error != nil {
				code = c.Error.Code
			}
			if c.Status != w.status || code != w.code || c.GrantType != w.grant || c.IdentityProvider != "oauth2" || c.Login != w.login || (c.TokenExpires != nil) != w.expires {
				t.Errorf("%s: %s = %+v (error %+v), want %+v", when, name, c, c.Error, w)
			}
		}
	}
	check("at start", map[string]want{
		"cc/conn":      {status: "NotUsedYet", grant: "clientCredentials"},
		"refused/conn": {status: "NotUsedYet", grant: "clientCredentials"},
		"code/conn":    {status: "Error", code: "Unauthenticated", grant: "authorizationCode", login: login},
	})

	// Traffic: one connection gets its token, the other is refused.
	for path, status := range map[string]int{"/cc/x": http.StatusOK, "/refused/x": http.StatusInternalServerError} {
		resp, err := http.Get(e.gw.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Fatalf("%s: %d, want %d", path, resp.StatusCode, status)
		}
	}
	check("after traffic", map[string]want{
		"cc/conn":      {status: "Connected", grant: "clientCredentials", expires: true},
		"refused/conn": {status: "Error", code: "invalid_client", grant: "clientCredentials"},
		"code/conn":    {status: "Error", code: "Unauthenticated", grant: "authorizationCode", login: login},
	})
	if msg := connectionsOf(t, e)["refused/conn"].Error.Message; !strings.Contains(msg, idp.URL+"/token") || !strings.Contains(msg, "401 (invalid_client)") {
		t.Errorf("the refused connection's message: %q", msg)
	}

	// The login link: to the provider, and back to the console.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(e.admin.URL + login)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), idp.URL+"/authorize?") {
		t.Fatalf("login: %d %s", resp.StatusCode, loc)
	}
	q := loc.Query()
	resp, err = noRedirect.Get(q.Get("redirect_uri") + "?code=code-1&state=" + url.QueryEscape(q.Get("state")))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `<meta http-equiv="refresh" content="0;url=/console/#/connections">`) {
		t.Fatalf("callback: %d %s, want a page that goes on to the console's connections", resp.StatusCode, page)
	}
	check("after consent", map[string]want{
		"cc/conn":      {status: "Connected", grant: "clientCredentials", expires: true},
		"refused/conn": {status: "Error", code: "invalid_client", grant: "clientCredentials"},
		"code/conn":    {status: "Connected", grant: "authorizationCode", login: login, expires: true},
	})
	if n := issued.Load(); n != 2 {
		t.Errorf("%d tokens issued, want 2 (the client credentials one and the consent's)", n)
	}
}

// TestConnectionsEmptyAndProtected: a configuration without providers
// lists none (an empty list, never null); with an admin token the list
// needs it like every console endpoint; an unusable provider is one of
// the served configuration's notices.
func TestConnectionsEmptyAndProtected(t *testing.T) {
	ws, hu := backends(t)
	e := start(t, sampleDir(t, ws, hu), "")
	resp, err := http.Get(e.admin.URL + "/console/api/connections")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(data)) != `{"connections":[]}` {
		t.Fatalf("no providers: %d %s", resp.StatusCode, data)
	}

	idp, _ := fakeIdP(t)
	dir := connectionsDir(t, idp.URL, hu)
	write(t, dir, "named values/unset/namedValueInformation.json", `{"properties": {"displayName": "unset", "secret": true}}`)
	write(t, dir, "authorizationProviders/unusable/authorizationProviderInformation.json", `{"properties": {"identityProvider": "oauth2",
  "oauth2": {"grantTypes": {"clientCredentials": {"clientId": "app", "clientSecret": "{{unset}}", "tokenUrl": "`+idp.URL+`/token"}}}}}`)
	const token = "console-admin-token"
	e = startWithCredentials(t, dir, token)
	for auth, want := range map[string]int{"": http.StatusUnauthorized, "Bearer wrong": http.StatusUnauthorized, "Bearer " + token: http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, e.admin.URL+"/console/api/connections", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%q: %d, want %d", auth, resp.StatusCode, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.admin.URL+"/console/api/apis", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Notices []console.LoadError }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	for _, n := range v.Notices {
		if n.File == "authorizationProviders/unusable/authorizationProviderInformation.json" && n.Line == 2 &&
			strings.HasPrefix(n.Message, "ignored: credential provider unusable cannot be used: oauth2.grantTypes.clientCredentials.clientSecret: secret named value \"unset\" has no value") {
			return
		}
	}
	t.Fatalf("no notice of the unusable provider: %+v", v.Notices)
}
