package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"golang.org/x/oauth2"

	"tollgate/engine"
	"tollgate/store"
)

const (
	credSecret   = "cc-s3cr3t-value"
	gatewayOID   = "11111111-1111-1111-1111-111111111111"
	gatewayTID   = "22222222-2222-2222-2222-222222222222"
	callerOID    = "33333333-3333-3333-3333-333333333333"
	callerAppID  = "44444444-4444-4444-4444-444444444444"
	otherOID     = "55555555-5555-5555-5555-555555555555"
	refreshValue = "rt-secret-"
)

// fakeOAuth is an identity provider over a real socket: its token
// endpoint (client credentials, authorization code, refresh token) and
// Entra's common signing keys.
type fakeOAuth struct {
	*httptest.Server
	issued   atomic.Int64 // access tokens handed out
	requests atomic.Int64 // token requests received
	ttl      atomic.Int64 // expires_in of the tokens it hands out (0: none)
	// gate, when set, holds every token request until it is closed.
	gate chan struct{}
	mu   sync.Mutex
	// refresh tokens that are valid, and the codes that may be exchanged
	// (code → PKCE challenge, "" when none).
	refresh map[string]bool
	codes   map[string]string
	rotate  bool // a refresh hands out a new refresh token and revokes the old
	forms   []url.Values
	keys    []map[string]string
}

func newFakeOAuth(t *testing.T) *fakeOAuth {
	f := &fakeOAuth{refresh: map[string]bool{}, codes: map[string]string{}}
	f.ttl.Store(3600)
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOAuth) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/common/discovery/v2.0/keys" {
		f.mu.Lock()
		keys := f.keys
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
		return
	}
	if r.URL.Path != "/token" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	f.requests.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	_ = r.ParseForm()
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	refuse := func(code string) {
		status := http.StatusBadRequest
		if code == "invalid_client" {
			status = http.StatusUnauthorized
		}
		w.WriteHeader(status)
		// The answer quotes what it got: tollgate must not pass it on.
		_, _ = fmt.Fprintf(w, `{"error":%q,"error_description":"got secret %s"}`, code, r.PostForm.Get("client_secret"))
	}
	if r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != credSecret {
		refuse("invalid_client")
		return
	}
	answer := map[string]any{"token_type": "Bearer", "scope": r.PostForm.Get("scope"), "ext_field": "x"}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "authorization_code":
		f.mu.Lock()
		challenge, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code"))
		f.mu.Unlock()
		if !ok || (challenge != "" && pkceChallenge(r.PostForm.Get("code_verifier")) != challenge) {
			refuse("invalid_grant")
			return
		}
		answer["refresh_token"] = f.newRefresh()
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		f.mu.Lock()
		ok := f.refresh[rt]
		if ok && f.rotate {
			delete(f.refresh, rt)
		}
		f.mu.Unlock()
		if !ok {
			refuse("invalid_grant")
			return
		}
		if f.rotate {
			answer["refresh_token"] = f.newRefresh()
		}
	default:
		refuse("unsupported_grant_type")
		return
	}
	n := f.issued.Add(1)
	answer["access_token"] = fmt.Sprintf("at-%d", n)
	if ttl := f.ttl.Load(); ttl > 0 {
		answer["expires_in"] = ttl
	}
	_ = json.NewEncoder(w).Encode(answer)
}

func (f *fakeOAuth) newRefresh() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	rt := fmt.Sprintf("%s%d", refreshValue, len(f.refresh)+len(f.forms))
	f.refresh[rt] = true
	return rt
}

func (f *fakeOAuth) lastForm() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.forms) == 0 {
		return nil
	}
	return f.forms[len(f.forms)-1]
}

// credProvider is a generic OAuth 2.0 client-credentials provider at f
// with one connection that the gateway (and callerOID) may use.
func credProvider(f *fakeOAuth, id, conn string) CredentialProvider {
	return CredentialProvider{
		ID: id, Pos: engine.Pos{File: "p.json", Line: 1, Col: 1}, IdentityProvider: "oauth2", GrantType: GrantClientCredentials,
		Params: map[string]string{"tokenUrl": f.URL + "/token", "clientId": "app", "clientSecret": credSecret, "scopes": "repo user"},
		Connections: []CredentialConnection{{ID: conn, Pos: engine.Pos{File: "c.json", Line: 1, Col: 1}, AccessPolicies: []CredentialAccessPolicy{
			{ID: "gw", TenantID: gatewayTID, ObjectID: gatewayOID},
			{ID: "caller", TenantID: gatewayTID, ObjectID: callerOID, AppIDs: []string{callerAppID}},
		}}},
	}
}

type credFixture struct {
	f     *fakeOAuth
	c     *Credentials
	clk   *testClock
	logs  *observer.ObservedLogs
	set   *CredentialSet
	store store.Store
}

func newCredFixture(t *testing.T, f *fakeOAuth, defs ...CredentialProvider) *credFixture {
	t.Helper()
	fx := &credFixture{clk: &testClock{}, store: store.NewMemory(), f: f}
	core, logs := observer.New(zap.DebugLevel)
	fx.logs = logs
	if fx.f == nil {
		fx.f = newFakeOAuth(t)
	}
	if len(defs) == 0 {
		defs = []CredentialProvider{credProvider(fx.f, "github-01", "auth-01")}
	}
	fx.c = NewCredentials(CredentialsOptions{Store: fx.store, Log: zap.New(core), Now: fx.clk.now,
		Identity: GatewayIdentity{ObjectID: gatewayOID, TenantID: gatewayTID}, EntraAuthority: urlOf(fx.f)})
	set, errs := fx.c.Stage(defs)
	if len(errs) > 0 {
		t.Fatalf("stage: %v", errs)
	}
	fx.set = set
	return fx
}

func urlOf(f *fakeOAuth) string {
	if f == nil {
		return ""
	}
	return f.URL
}

func (fx *credFixture) compile(t *testing.T, src string) *engine.Plan {
	t.Helper()
	plan, errs := fx.compileErrs(src)
	if len(errs) > 0 {
		t.Fatalf("load errors:\n%s", errs.Error())
	}
	return plan
}

func (fx *credFixture) compileErrs(src string) (*engine.Plan, engine.ErrorList) {
	if !strings.Contains(src, "<policies>") {
		src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
	}
	root, err := engine.Read("policy.xml", []byte(src))
	if err != nil {
		var el engine.ErrorList
		el.Append(err)
		return nil, el
	}
	c := engine.NewCompiler(fx.set.Registry(Registry(Deps{Store: fx.store, Credentials: fx.c})), nil)
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors()
}

// checkNoSecret fails if a secret shows in the logs or in text.
func (fx *credFixture) checkNoSecret(t *testing.T, texts ...string) {
	t.Helper()
	for _, e := range fx.logs.All() {
		texts = append(texts, e.Message)
		for _, fl := range e.Context {
			texts = append(texts, fl.String, fmt.Sprint(fl.Interface))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, credSecret) || strings.Contains(s, refreshValue) {
			t.Fatalf("a secret shows: %q", s)
		}
	}
}

func body(t *testing.T, s *engine.State) string {
	t.Helper()
	r := s.Response()
	if r == nil || r.Body == nil {
		return ""
	}
	b, _ := r.Body.AsString()
	return b
}

// identityToken is a Microsoft Entra token for the authorization manager.
func identityToken(t *testing.T, f *fakeOAuth, mod func(jwt.MapClaims)) string {
	jwtKeys(t)
	f.mu.Lock()
	f.keys = []map[string]string{rsaJWK("k1", jwtRSA)}
	f.mu.Unlock()
	claims := jwt.MapClaims{"aud": authorizationManagerAudience, "iss": f.URL + "/" + gatewayTID + "/v2.0", "tid": gatewayTID,
		"oid": callerOID, "appid": callerAppID, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()}
	if mod != nil {
		mod(claims)
	}
	return jwtSign(t, "RS256", jwtRSA, "k1", claims)
}

// APIM's four examples, as written, against a client-credentials
// connection github-01/auth-01.
func TestGetAuthorizationContextDocExamples(t *testing.T) {
	fx := newCredFixture(t, nil)
	plans := map[string]*engine.Plan{}
	files, _ := filepath.Glob("testdata/apim-docs/credentials/*.xml")
	if len(files) != 4 {
		t.Fatalf("want APIM's 4 examples, got %v", files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		plans[filepath.Base(f)] = fx.compile(t, string(src))
	}
	run := func(name, rawURL string, hdr ...string) *engine.State {
		s := request(rawURL, hdr...)
		runInbound(plans[name], s)
		return s
	}
	s := run("get-token-back.xml", "http://gw/x")
	if got := body(t, s); got != "at-1" || s.Response().StatusCode != 200 {
		t.Fatalf("get-token-back: %d %q (%+v)", s.Response().StatusCode, got, s.LastError())
	}
	s = run("get-token-back-dynamic.xml", "http://gw/x?authorizationProviderId=github-01&authorizationId=auth-01")
	if got := body(t, s); got != "at-1" {
		t.Fatalf("dynamic: %q (%+v)", got, s.LastError())
	}
	s = run("get-token-back-dynamic.xml", "http://gw/x?authorizationProviderId=github-01&authorizationId=nope")
	if le := s.LastError(); le == nil || le.Reason != ReasonAuthorizationNotFound || s.Response().StatusCode != 500 {
		t.Fatalf("dynamic, unknown connection: %+v", le)
	}
	s = run("attach-token.xml", "http://gw/x")
	if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer at-1" {
		t.Fatalf("attach: Authorization = %q (%+v)", got, s.LastError())
	}
	s = run("get-token-from-incoming-request.xml", "http://gw/x", "Authorization", "Bearer "+identityToken(t, fx.f, nil))
	if got := body(t, s); got != "at-1" {
		t.Fatalf("jwt: %q (%+v)", got, s.LastError())
	}
	if n := fx.f.issued.Load(); n != 1 {
		t.Fatalf("%d tokens fetched, want 1 (cached)", n)
	}
	form := fx.f.lastForm()
	if form.Get("grant_type") != "client_credentials" || form.Get("scope") != "repo user" || form.Get("client_id") != "app" {
		t.Fatalf("token request: %v", form)
	}
	fx.checkNoSecret(t)
}

// The token is cached until shortly before it expires, then fetched
// again; concurrent requests share one fetch; a reload that keeps the
// connection keeps its token.
func TestGetAuthorizationContextCaching(t *testing.T) {
	fx := newCredFixture(t, nil)
	plan := fx.compile(t, `<get-authorization-context provider-id="github-01" authorization-id="auth-01" context-variable-name="a"/>
		<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables["a"]).AccessToken + " " + ((Authorization)context.Variables["a"]).Claims["ext_field"])</value></set-header>`)
	get := func() string {
		s := request("http://gw/x")
		if runInbound(plan, s) {
			t.Fatalf("stopped: %+v", s.LastError())
		}
		return s.Context().Request.Headers.GetValueOrDefault("Authorization", "")
	}
	if got := get(); got != "Bearer at-1 x" {
		t.Fatalf("first: %q", got)
	}
	fx.clk.advance(3500 * time.Second) // 100 s left: still handed out (slack is 30 s)
	if got := get(); got != "Bearer at-1 x" {
		t.Fatalf("before expiry: %q", got)
	}
	fx.clk.advance(75 * time.Second) // 25 s left: a new one
	if got := get(); got != "Bearer at-2 x" {
		t.Fatalf("near expiry: %q", got)
	}

	// A reload (a new stage of the same definitions) keeps the token.
	set2, errs := fx.c.Stage([]CredentialProvider{credProvider(fx.f, "github-01", "auth-01")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fx.set = set2
	plan = fx.compile(t, `<get-authorization-context provider-id="github-01" authorization-id="auth-01" context-variable-name="a"/>
		<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables["a"]).AccessToken + " " + ((Authorization)context.Variables["a"]).Claims["ext_field"])</value></set-header>`)
	if got := get(); got != "Bearer at-2 x" {
		t.Fatalf("after reload: %q", got)
	}
	if set2.providers["github-01"].conns["auth-01"].connState != fx.set.providers["github-01"].conns["auth-01"].connState {
		t.Fatal("an unchanged definition got a new state")
	}
	// A changed secret is another client: its own token.
	changed := credProvider(fx.f, "github-01", "auth-01")
	changed.Params["scopes"] = "repo"
	if set3, _ := fx.c.Stage([]CredentialProvider{changed}); set3.providers["github-01"].conns["auth-01"].connState == set2.providers["github-01"].conns["auth-01"].connState {
		t.Fatal("a changed definition kept the old state")
	}

	// Concurrent requests after expiry: one fetch.
	fx.clk.advance(2 * time.Hour)
	fx.f.gate = make(chan struct{})
	before := fx.f.requests.Load()
	var wg sync.WaitGroup
	results := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := request("http://gw/x")
			runInbound(plan, s)
			results <- s.Context().Request.Headers.GetValueOrDefault("Authorization", "")
		}()
	}
	// Wait until the one request is at the endpoint, then let it go.
	for fx.f.requests.Load() == before {
		time.Sleep(time.Millisecond)
	}
	close(fx.f.gate)
	wg.Wait()
	close(results)
	for r := range results {
		if r != "Bearer at-3 x" {
			t.Fatalf("concurrent: %q", r)
		}
	}
	if n := fx.f.requests.Load() - before; n != 1 {
		t.Fatalf("%d token requests for 20 concurrent callers, want 1", n)
	}
}

// Failures: provider down, a wrong client secret, access policies that
// refuse; ignore-error="true" puts null in the variable instead.
func TestGetAuthorizationContextFailures(t *testing.T) {
	f := newFakeOAuth(t)
	down := newFakeOAuth(t)
	down.Close()
	wrong := credProvider(f, "wrong", "c")
	wrong.Params["clientSecret"] = "not-the-" + credSecret
	nobody := credProvider(f, "nobody", "c")
	nobody.Connections[0].AccessPolicies = []CredentialAccessPolicy{{ID: "x", TenantID: gatewayTID, ObjectID: otherOID}}
	fx := newCredFixture(t, f, credProvider(f, "github-01", "auth-01"), credProvider(down, "down", "c"), wrong, nobody)

	const onError = `<on-error><return-response><set-status code="500"/><set-body>@(context.LastError.Source + "|" + context.LastError.Reason + "|" + context.LastError.Message)</set-body></return-response></on-error>`
	cases := []struct {
		name, provider, ident, identity string
		wantReason, wantMsg             string
	}{
		{"provider down", "down", "managed", "", ReasonAuthorizationFailed, "token request to http://127.0.0.1"},
		{"wrong secret", "wrong", "managed", "", ReasonAuthorizationFailed, "401 (invalid_client)"},
		{"no access policy for the gateway", "nobody", "managed", "", ReasonAuthorizationAccessDenied, "no access policy allows the gateway's identity"},
		{"jwt of an identity the policies do not name", "github-01", "jwt", identityToken(t, f, func(c jwt.MapClaims) { c["oid"] = otherOID }), ReasonAuthorizationAccessDenied, "no access policy allows the identity"},
		{"jwt of another application", "github-01", "jwt", identityToken(t, f, func(c jwt.MapClaims) { c["appid"] = otherOID }), ReasonAuthorizationAccessDenied, "no access policy allows the identity"},
		{"jwt for another audience", "github-01", "jwt", identityToken(t, f, func(c jwt.MapClaims) { c["aud"] = "api://other" }), ReasonAuthorizationIdentityInvalid, "TokenAudienceNotAllowed"},
		{"jwt of another issuer", "github-01", "jwt", identityToken(t, f, func(c jwt.MapClaims) { c["iss"] = "https://evil/" + gatewayTID + "/v2.0" }), ReasonAuthorizationIdentityInvalid, "issuer"},
		{"jwt expired", "github-01", "jwt", identityToken(t, f, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), ReasonAuthorizationIdentityInvalid, "expired"},
		{"jwt not a token", "github-01", "jwt", "garbage", ReasonAuthorizationIdentityInvalid, "JwtInvalid"},
		{"jwt empty", "github-01", "jwt", "", ReasonAuthorizationIdentityInvalid, "not present"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := ""
			if tc.ident == "jwt" {
				id = ` identity="@(context.Request.Headers.GetValueOrDefault(&quot;X-Id&quot;, &quot;&quot;))"`
			}
			plan := fx.compile(t, `<policies><inbound><get-authorization-context provider-id="`+tc.provider+`" authorization-id="@(&quot;`+map[bool]string{true: "auth-01", false: "c"}[tc.provider == "github-01"]+`&quot;)" context-variable-name="a" identity-type="`+tc.ident+`"`+id+` ignore-error="false"/></inbound><backend/><outbound/>`+onError+`</policies>`)
			s := request("http://gw/x", "X-Id", tc.identity)
			runInbound(plan, s)
			got := body(t, s)
			if s.Response().StatusCode != 500 || !strings.HasPrefix(got, "get-authorization-context|"+tc.wantReason+"|") || !strings.Contains(got, tc.wantMsg) {
				t.Fatalf("got %d %q, want reason %s and %q", s.Response().StatusCode, got, tc.wantReason, tc.wantMsg)
			}
			fx.checkNoSecret(t, got)

			// ignore-error="true": null in the variable, and on.
			plan = fx.compile(t, `<get-authorization-context provider-id="`+tc.provider+`" authorization-id="@(&quot;`+map[bool]string{true: "auth-01", false: "c"}[tc.provider == "github-01"]+`&quot;)" context-variable-name="a" identity-type="`+tc.ident+`"`+id+` ignore-error="@(true)"/>
				<set-header name="X-Token" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("a"))?.AccessToken)</value></set-header>`)
			s = request("http://gw/x", "X-Id", tc.identity)
			if runInbound(plan, s) {
				t.Fatalf("ignore-error stopped: %+v", s.LastError())
			}
			if v, ok := s.Variables()["a"]; !ok || v != nil {
				t.Fatalf("variable = %#v, %v; want null", v, ok)
			}
			if got := s.Context().Request.Headers.GetValueOrDefault("X-Token", ""); got != "Bearer " {
				t.Fatalf("X-Token = %q", got)
			}
		})
	}
	// The connection's status says what went wrong, without the secret.
	st := fx.set.providers["wrong"].conns["c"]
	status, code, msg, _, _ := st.statusView()
	if status != ConnectionError || code != "invalid_client" {
		t.Fatalf("status %s %s %s", status, code, msg)
	}
	fx.checkNoSecret(t, msg)

	// A gateway without an identity: every managed request is refused.
	noID := NewCredentials(CredentialsOptions{})
	set, _ := noID.Stage([]CredentialProvider{credProvider(f, "p", "c")})
	err := set.providers["p"].conns["c"].allowsGateway()
	if err == nil || !strings.Contains(err.Error(), "TOLLGATE_IDENTITY_OBJECT_ID") {
		t.Fatalf("no identity: %v", err)
	}
}

// A waiting request whose context ends stops waiting.
func TestGetAuthorizationContextCancel(t *testing.T) {
	fx := newCredFixture(t, nil)
	fx.f.gate = make(chan struct{})
	defer close(fx.f.gate)
	st := fx.set.providers["github-01"].conns["auth-01"]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := st.token(ctx); done <- err }()
	for fx.f.requests.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("err = %v", err)
	}
}

// Load-time checks of the definitions: each problem at its place.
func TestCredentialDefinitionErrors(t *testing.T) {
	at := func(l int) engine.Pos { return engine.Pos{File: "p.json", Line: l, Col: 3} }
	base := func() CredentialProvider {
		return CredentialProvider{ID: "p", Pos: at(1), IdentityProvider: "oauth2", IdentityPos: at(2), GrantType: GrantClientCredentials, GrantPos: at(3),
			Params:      map[string]string{"tokenUrl": "https://idp/token", "clientId": "app", "clientSecret": "s"},
			ParamPos:    map[string]engine.Pos{"tokenUrl": at(4), "clientId": at(5), "clientSecret": at(6), "bogus": at(7), "authorizationUrl": at(8)},
			Connections: []CredentialConnection{{ID: "c", Pos: at(10), GrantPos: at(11), ParamPos: map[string]engine.Pos{"x": at(12)}}}}
	}
	cases := []struct {
		name string
		mod  func(*CredentialProvider)
		want string
	}{
		{"unknown identity provider", func(p *CredentialProvider) { p.IdentityProvider = "linkedin" }, `p.json:2:3: credential provider "p": identity provider "linkedin" is not supported by tollgate (supported: aad (Microsoft Entra ID (Azure Active Directory v1)), github (GitHub), google (Google), oauth2 (Generic OAuth 2.0), oauth2pkce (Generic OAuth 2.0 with PKCE)); for another OAuth 2.0 provider use "oauth2" (or "oauth2pkce") with its authorizationUrl, tokenUrl and refreshUrl`},
		{"no identity provider", func(p *CredentialProvider) { p.IdentityProvider = "" }, `p.json:2:3: credential provider "p" needs an identityProvider`},
		{"no grant type", func(p *CredentialProvider) { p.GrantType = "" }, `p.json:3:3: credential provider "p" needs one grant type in oauth2.grantTypes`},
		{"grant the provider lacks", func(p *CredentialProvider) { p.IdentityProvider = "github" }, `p.json:3:3: credential provider "p": GitHub supports the grant type authorizationCode only, not clientCredentials`},
		{"unknown parameter", func(p *CredentialProvider) { p.Params["bogus"] = "1" }, `p.json:7:3: credential provider "p": unknown clientCredentials parameter "bogus" for Generic OAuth 2.0`},
		{"required parameter", func(p *CredentialProvider) { delete(p.Params, "tokenUrl") }, `p.json:3:3: credential provider "p": Generic OAuth 2.0 needs the clientCredentials parameter "tokenUrl"`},
		{"PKCE needs the refresh URL", func(p *CredentialProvider) {
			p.IdentityProvider, p.GrantType, p.Params["authorizationUrl"] = "oauth2pkce", GrantAuthorizationCode, "https://idp/authorize"
		}, `p.json:3:3: credential provider "p": Generic OAuth 2.0 with PKCE needs the authorizationCode parameter "refreshUrl"`},
		{"bad URL", func(p *CredentialProvider) { p.Params["tokenUrl"] = "ftp://user:pw@idp/token" }, `p.json:4:3: credential provider "p": tokenUrl must be an absolute http(s) URL, not "ftp://user@idp/token"`},
		{"Entra without resource", func(p *CredentialProvider) { p.IdentityProvider = "aad"; delete(p.Params, "tokenUrl") }, `credential provider "p": Microsoft Entra ID (Azure Active Directory v1) needs the clientCredentials parameter "resourceUri"`},
		{"connection of the other grant", func(p *CredentialProvider) { p.Connections[0].GrantType = "AuthorizationCode" }, `p.json:11:3: connection "c" uses the AuthorizationCode grant type, but its provider "p" is configured for ClientCredentials`},
		{"connection grant unknown", func(p *CredentialProvider) { p.Connections[0].GrantType = "Implicit" }, `p.json:11:3: connection "c": oauth2grantType must be AuthorizationCode or ClientCredentials, not "Implicit"`},
		{"connection parameter unknown", func(p *CredentialProvider) { p.Connections[0].Params = map[string]string{"x": "1"} }, `p.json:12:3: connection "c": unknown parameter "x"`},
		{"no secret", func(p *CredentialProvider) { delete(p.Params, "clientSecret") }, `p.json:10:3: connection "c" of provider "p" has no clientSecret`},
		{"access policy without object", func(p *CredentialProvider) {
			p.Connections[0].AccessPolicies = []CredentialAccessPolicy{{ID: "ap", Pos: at(20), TenantID: "t"}}
		}, `p.json:20:3: access policy "ap" of connection "c" needs objectId and tenantId`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.mod(&p)
			_, errs := NewCredentials(CredentialsOptions{}).Stage([]CredentialProvider{p})
			if !strings.Contains(errs.Error(), tc.want) {
				t.Fatalf("errors:\n%s\nwant %s", errs.Error(), tc.want)
			}
		})
	}
	// Well-formed definitions of each kind load, with the endpoints they imply.
	for _, p := range []CredentialProvider{
		{ID: "gh", IdentityProvider: "github", GrantType: GrantAuthorizationCode, Params: map[string]string{"clientId": "a", "clientSecret": "b", "scopes": "user"}},
		{ID: "goog", IdentityProvider: "google", GrantType: GrantAuthorizationCode, Params: map[string]string{"clientId": "a", "clientSecret": "b"}},
		{ID: "aad", IdentityProvider: "aad", GrantType: GrantClientCredentials, Params: map[string]string{"resourceUri": "https://graph.microsoft.com", "tenantId": "contoso.onmicrosoft.com", "loginUri": "https://login.microsoftonline.us"}},
	} {
		p.Connections = []CredentialConnection{{ID: "c", Params: map[string]string{"clientId": "a", "clientSecret": "b"}}}
		set, errs := NewCredentials(CredentialsOptions{}).Stage([]CredentialProvider{p})
		if len(errs) > 0 {
			t.Fatalf("%s: %v", p.ID, errs)
		}
		cfg := set.providers[p.ID].conns["c"].cfg
		want := map[string]string{"gh": "https://github.com/login/oauth/access_token", "goog": "https://oauth2.googleapis.com/token",
			"aad": "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/token"}[p.ID]
		if cfg.tokenURL != want {
			t.Fatalf("%s: token URL %s, want %s", p.ID, cfg.tokenURL, want)
		}
	}
}

// Literal provider and connection ids are checked at load.
func TestGetAuthorizationContextLoadErrors(t *testing.T) {
	fx := newCredFixture(t, nil)
	for src, want := range map[string]string{
		`<get-authorization-context provider-id="github-02" authorization-id="auth-01" context-variable-name="a"/>`: `no credential provider "github-02": define it in authorizationProviders/github-02/authorizationProviderInformation.json (there are: github-01)`,
		`<get-authorization-context provider-id="github-01" authorization-id="auth-02" context-variable-name="a"/>`: `credential provider "github-01" has no connection "auth-02": define it in authorizationProviders/github-01/authorizations/auth-02/authorizationInformation.json (there are: auth-01)`,
	} {
		_, errs := fx.compileErrs(src)
		if !strings.Contains(errs.Error(), want) {
			t.Errorf("%s:\n%v\nwant %s", src, errs, want)
		}
	}
}

// The Entra ID provider's client credentials grant: v1 endpoint with the
// resource, under the login URL given.
func TestGetAuthorizationContextEntra(t *testing.T) {
	f := newFakeOAuth(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/contoso/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/token"
		f.serve(w, r)
	})
	login := httptest.NewServer(mux)
	defer login.Close()
	p := CredentialProvider{ID: "aad", IdentityProvider: "aad", GrantType: GrantClientCredentials,
		Params: map[string]string{"resourceUri": "https://graph.microsoft.com", "tenantId": "contoso", "loginUri": login.URL, "scopes": "User.Read.All"},
		Connections: []CredentialConnection{{ID: "c", Params: map[string]string{"clientId": "app", "clientSecret": credSecret},
			AccessPolicies: []CredentialAccessPolicy{{ID: "gw", TenantID: gatewayTID, ObjectID: gatewayOID}}}}}
	fx := newCredFixture(t, f, p)
	plan := fx.compile(t, `<get-authorization-context provider-id="aad" authorization-id="c" context-variable-name="a"/>`)
	s := request("http://gw/x")
	if runInbound(plan, s) {
		t.Fatalf("stopped: %+v", s.LastError())
	}
	a := s.Variables()["a"].(*engine.Authorization)
	if a.AccessToken != "at-1" || f.lastForm().Get("resource") != "https://graph.microsoft.com" || f.lastForm().Get("grant_type") != "client_credentials" {
		t.Fatalf("token %q, form %v", a.AccessToken, f.lastForm())
	}
}

// pkceChallenge is RFC 7636's S256 challenge of a verifier.
func pkceChallenge(verifier string) string {
	return oauth2.S256ChallengeFromVerifier(verifier)
}
