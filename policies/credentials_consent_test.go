package policies

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
	"tollgate/store"
)

// codeProvider is a generic OAuth 2.0 (with PKCE when pkce) provider at f
// for the authorization code grant, with one connection the gateway may use.
func codeProvider(f *fakeOAuth, pkce bool) CredentialProvider {
	p := credProvider(f, "idp", "c")
	p.GrantType = GrantAuthorizationCode
	p.Params["authorizationUrl"] = f.URL + "/authorize"
	if pkce {
		p.IdentityProvider = "oauth2pkce"
		p.Params["refreshUrl"] = f.URL + "/token"
	}
	return p
}

// consentFlow runs the operator's consent: the login link, the provider's
// authorization page (it checks what the link carries and issues a code),
// the callback.
func consentFlow(t *testing.T, f *fakeOAuth, set *CredentialSet, pkce bool) {
	t.Helper()
	ctx := context.Background()
	link, err := set.Login(ctx, "idp", "c", "http://admin.test/credentials/callback", "/done")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, f.URL+"/authorize?") {
		t.Fatalf("login link %q", link)
	}
	q := u.Query()
	if q.Get("client_id") != "app" || q.Get("redirect_uri") != "http://admin.test/credentials/callback" || q.Get("response_type") != "code" ||
		q.Get("scope") != "repo user" || q.Get("state") == "" || strings.Contains(link, credSecret) {
		t.Fatalf("login link %q", link)
	}
	if pkce != (q.Get("code_challenge") != "") || (pkce && q.Get("code_challenge_method") != "S256") {
		t.Fatalf("PKCE: %q", link)
	}
	f.mu.Lock()
	f.codes["code-1"] = q.Get("code_challenge")
	f.mu.Unlock()
	name, after, err := set.Callback(ctx, q.Get("state"), "code-1", "")
	if err != nil || name != "idp/c" || after != "/done" {
		t.Fatalf("callback: %q %q %v", name, after, err)
	}
	// The state is good once.
	if _, _, err := set.Callback(ctx, q.Get("state"), "code-1", ""); err == nil || !strings.Contains(err.Error(), "unknown or expired state") {
		t.Fatalf("replayed callback: %v", err)
	}
	if form := f.lastForm(); form.Get("grant_type") != "authorization_code" || form.Get("redirect_uri") != "http://admin.test/credentials/callback" {
		t.Fatalf("exchange: %v", form)
	}
}

// The consent flow, then refreshes with the refresh token (rotated by the
// provider), and a refused refresh: the connection is in error and the
// policy fails until the operator consents again.
func TestCredentialConsentAndRefresh(t *testing.T) {
	for _, pkce := range []bool{false, true} {
		t.Run(map[bool]string{false: "oauth2", true: "oauth2pkce"}[pkce], func(t *testing.T) {
			f := newFakeOAuth(t)
			f.rotate = true
			fx := newCredFixture(t, f, codeProvider(f, pkce))
			plan := fx.compile(t, `<get-authorization-context provider-id="idp" authorization-id="c" context-variable-name="a" ignore-error="false"/>
				<set-header name="Authorization" exists-action="override"><value>@("Bearer " + ((Authorization)context.Variables.GetValueOrDefault("a"))?.AccessToken)</value></set-header>`)
			get := func() (string, *engine.LastError) {
				s := request("http://gw/x")
				runInbound(plan, s)
				return s.Context().Request.Headers.GetValueOrDefault("Authorization", ""), s.LastError()
			}
			// Before consent: Unauthenticated, as APIM says.
			if _, le := get(); le == nil || le.Reason != ReasonAuthorizationFailed || !strings.Contains(le.Message, "This connection is not authenticated.") {
				t.Fatalf("before consent: %+v", le)
			}
			if cs := fx.set.Connections(context.Background()); cs[0].Status != ConnectionError || cs[0].Error.Code != "Unauthenticated" || cs[0].Login != "/credentials/idp/c/login" {
				t.Fatalf("status before consent: %+v", cs[0])
			}
			consentFlow(t, f, fx.set, pkce)
			if got, le := get(); got != "Bearer at-1" {
				t.Fatalf("after consent: %q %+v", got, le)
			}
			if cs := fx.set.Connections(context.Background()); cs[0].Status != ConnectionConnected || cs[0].Error != nil || cs[0].TokenExpires == nil {
				t.Fatalf("status after consent: %+v", cs[0])
			}
			firstRT := f.lastForm() // the exchange; its answer's refresh token is rt-…
			_ = firstRT
			fx.clk.advance(time.Hour)
			if got, le := get(); got != "Bearer at-2" {
				t.Fatalf("refreshed: %q %+v", got, le)
			}
			form := f.lastForm()
			if form.Get("grant_type") != "refresh_token" || !strings.HasPrefix(form.Get("refresh_token"), refreshValue) {
				t.Fatalf("refresh request: %v", form)
			}
			usedRT := form.Get("refresh_token")
			fx.clk.advance(time.Hour)
			if got, _ := get(); got != "Bearer at-3" {
				t.Fatalf("second refresh: %q", got)
			}
			if rt := f.lastForm().Get("refresh_token"); rt == usedRT || rt == "" {
				t.Fatalf("the rotated refresh token was not used: %q after %q", rt, usedRT)
			}
			// The provider revokes the refresh token.
			f.mu.Lock()
			f.refresh = map[string]bool{}
			f.mu.Unlock()
			fx.clk.advance(time.Hour)
			if _, le := get(); le == nil || le.Reason != ReasonAuthorizationFailed || !strings.Contains(le.Message, "invalid_grant") {
				t.Fatalf("refused refresh: %+v", le)
			}
			cs := fx.set.Connections(context.Background())
			if cs[0].Status != ConnectionError || cs[0].Error.Code != "invalid_grant" {
				t.Fatalf("status after a refused refresh: %+v", cs[0])
			}
			before := f.requests.Load()
			if _, le := get(); le == nil || !strings.Contains(le.Message, "consent again") {
				t.Fatalf("after a refused refresh: %+v", le)
			}
			if f.requests.Load() != before {
				t.Fatal("a refused refresh token was tried again")
			}
			// Consent again: connected.
			consentFlow(t, f, fx.set, pkce)
			if got, le := get(); !strings.HasPrefix(got, "Bearer at-") || le != nil {
				t.Fatalf("after consenting again: %q %+v", got, le)
			}
			fx.checkNoSecret(t)
			for _, c := range fx.set.Connections(context.Background()) {
				if c.Error != nil {
					fx.checkNoSecret(t, c.Error.Message)
				}
			}
		})
	}
}

// Consent failures: the provider's error, a wrong code, a state that was
// never issued, a connection that changed meanwhile, a client-credentials
// connection.
func TestCredentialConsentFailures(t *testing.T) {
	f := newFakeOAuth(t)
	fx := newCredFixture(t, f, codeProvider(f, true), credProvider(f, "cc", "c"))
	ctx := context.Background()
	if _, err := fx.set.Login(ctx, "cc", "c", "http://a/cb", ""); err == nil || !strings.Contains(err.Error(), "needs no consent") {
		t.Fatalf("client credentials login: %v", err)
	}
	if _, err := fx.set.Login(ctx, "idp", "nope", "http://a/cb", ""); err == nil {
		t.Fatal("login of an unknown connection")
	}
	if _, _, err := fx.set.Callback(ctx, "forged", "code", ""); err == nil || !strings.Contains(err.Error(), "unknown or expired state") {
		t.Fatalf("forged state: %v", err)
	}
	state := func() string {
		link, err := fx.set.Login(ctx, "idp", "c", "http://a/cb", "")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(link)
		return u.Query().Get("state")
	}
	if _, _, err := fx.set.Callback(ctx, state(), "", "access_denied"); err == nil || !strings.Contains(err.Error(), "refused the consent (access_denied)") {
		t.Fatalf("denied: %v", err)
	}
	if _, _, err := fx.set.Callback(ctx, state(), "not-issued", ""); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("wrong code: %v", err)
	}
	// The definition changes between the link and the callback.
	st := state()
	changed := codeProvider(f, true)
	changed.Params["scopes"] = "other"
	set2, _ := fx.c.Stage([]CredentialProvider{changed})
	if _, _, err := set2.Callback(ctx, st, "code", ""); err == nil || !strings.Contains(err.Error(), "changed since its login link") {
		t.Fatalf("changed: %v", err)
	}
	fx.checkNoSecret(t)
}

// sharedStore stands for Redis: a store the replicas share.
type sharedStore struct{ *store.Memory }

// Two replicas sharing a store: one consents, both use the tokens; one
// refreshes (the provider rotates the refresh token) and the other uses
// what it wrote instead of refreshing again.
// On a real Redis, as replicas run, and on a memory store that stands for one.
func TestCredentialReplicasShareTokens(t *testing.T) {
	for _, sc := range []struct {
		name  string
		store func(t *testing.T) store.Store
	}{
		{"redis", startRedis},
		{"shared-memory", func(*testing.T) store.Store { return sharedStore{store.NewMemory()} }},
	} {
		t.Run(sc.name, func(t *testing.T) { testReplicasShareTokens(t, sc.store(t)) })
	}
}

func testReplicasShareTokens(t *testing.T, shared store.Store) {
	f := newFakeOAuth(t)
	f.rotate = true
	clk := &testClock{}
	replica := func() (*Credentials, *CredentialSet) {
		c := NewCredentials(CredentialsOptions{Store: shared, Now: clk.now, Identity: GatewayIdentity{ObjectID: gatewayOID, TenantID: gatewayTID}})
		set, errs := c.Stage([]CredentialProvider{codeProvider(f, false)})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return c, set
	}
	_, a := replica()
	_, b := replica()
	consentFlow(t, f, a, false)
	tok := func(set *CredentialSet) string {
		t.Helper()
		auth, err := set.providers["idp"].conns["c"].token(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return auth.AccessToken
	}
	if tok(a) != "at-1" || tok(b) != "at-1" {
		t.Fatal("the replicas do not share the consent")
	}
	clk.advance(time.Hour)
	if ta, tb := tok(a), tok(b); ta != "at-2" || tb != "at-2" {
		t.Fatalf("after a refresh: %s %s", ta, tb)
	}
	if n := f.issued.Load(); n != 2 {
		t.Fatalf("%d tokens issued, want 2 (one refresh for both replicas)", n)
	}
	// A connection in error is every replica's.
	f.mu.Lock()
	f.refresh = map[string]bool{}
	f.mu.Unlock()
	clk.advance(time.Hour)
	if _, err := a.providers["idp"].conns["c"].token(context.Background()); err == nil {
		t.Fatal("refused refresh")
	}
	if cs := b.Connections(context.Background()); cs[0].Status != ConnectionError || cs[0].Error.Code != "invalid_grant" {
		t.Fatalf("the other replica's view: %+v", cs[0])
	}
}

// With the memory store, a state file keeps the consent across a restart.
func TestCredentialStateFile(t *testing.T) {
	f := newFakeOAuth(t)
	file := filepath.Join(t.TempDir(), "credentials.json")
	start := func() *CredentialSet {
		c := NewCredentials(CredentialsOptions{Identity: GatewayIdentity{ObjectID: gatewayOID}})
		if err := c.UseStateFile(file); err != nil {
			t.Fatal(err)
		}
		set, _ := c.Stage([]CredentialProvider{codeProvider(f, false)})
		return set
	}
	consentFlow(t, f, start(), false)
	st, err := os.Stat(file)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", st, err)
	}
	restarted := start()
	auth, err := restarted.providers["idp"].conns["c"].token(context.Background())
	if err != nil || auth.AccessToken != "at-1" {
		t.Fatalf("after a restart: %v %v", auth, err)
	}
	if err := NewCredentials(CredentialsOptions{Store: sharedStore{store.NewMemory()}}).UseStateFile(file); err == nil {
		t.Fatal("a state file with a shared store")
	}
	if err := os.WriteFile(file, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewCredentials(CredentialsOptions{}).UseStateFile(file); err == nil || strings.Contains(err.Error(), "garbage") {
		t.Fatalf("a bad state file: %v", err)
	}
}

// The admin API's login links path-escape the ids (folder names).
func TestConnectionsLoginEscaped(t *testing.T) {
	f := newFakeOAuth(t)
	p := codeProvider(f, false)
	p.ID, p.Connections[0].ID = "my idp", "c/#?1"
	fx := newCredFixture(t, f, p)
	got := fx.set.Connections(context.Background())
	if len(got) != 1 || got[0].Login != "/credentials/my%20idp/c%2F%23%3F1/login" {
		t.Fatalf("connections: %+v", got)
	}
}
