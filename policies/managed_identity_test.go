package policies

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// fakeTokenEndpoint is an OAuth2 token endpoint: it checks the
// client-credentials form and hands out tok-1, tok-2, … valid for ttl.
type fakeTokenEndpoint struct {
	*httptest.Server
	calls  atomic.Int64
	fail   atomic.Bool
	ttl    int64
	mu     sync.Mutex
	scopes []string
}

func newFakeTokenEndpoint(t *testing.T, ttl int64) *fakeTokenEndpoint {
	f := &fakeTokenEndpoint{ttl: ttl}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != "app" || r.PostForm.Get("client_secret") != "s3cr3t" || f.fail.Load() {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"secret s3cr3t is wrong"}`))
			return
		}
		n := f.calls.Add(1)
		f.mu.Lock()
		f.scopes = append(f.scopes, r.PostForm.Get("scope"))
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + string(rune('0'+n)), "token_type": "Bearer", "expires_in": f.ttl})
	}))
	t.Cleanup(f.Close)
	return f
}

func identityDeps(f *fakeTokenEndpoint) Deps {
	d := testDeps()
	d.Identities = map[string]Identity{
		"":         {TokenURL: f.URL + "/token", ClientID: "app", ClientSecret: "s3cr3t"},
		"user-mi":  {TokenURL: f.URL + "/token", ClientID: "app", ClientSecret: "s3cr3t"},
		"wrong-mi": {TokenURL: f.URL + "/token", ClientID: "app", ClientSecret: "nope"},
	}
	return d
}

// APIM's examples as written: the header form for several resources, and
// the variable form followed by a set-header.
func TestManagedIdentityDocExamples(t *testing.T) {
	f := newFakeTokenEndpoint(t, 3600)
	d := identityDeps(f)
	plan := compile(t, d, `<authentication-managed-identity resource="https://graph.microsoft.com"/>`)
	for range 3 {
		s := request("http://gw/chat", "Authorization", "Bearer client")
		runInbound(plan, s)
		if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer tok-1" {
			t.Fatalf("Authorization = %q (%+v)", got, s.Context().LastError)
		}
		s.Release()
	}
	if f.calls.Load() != 1 {
		t.Fatalf("token endpoint called %d times, want 1 (cached)", f.calls.Load())
	}
	plan = compile(t, d, `<authentication-managed-identity resource="AD_application_id"
   output-token-variable-name="msi-access-token" ignore-error="false" />
<set-header name="Authorization" exists-action="override">
   <value>@("Bearer " + context.Variables["msi-access-token"])</value>
</set-header>`)
	s := request("http://gw/chat")
	defer s.Release()
	runInbound(plan, s)
	if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer tok-2" {
		t.Fatalf("Authorization = %q (%+v)", got, s.Context().LastError)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.Join(f.scopes, " ") != "https://graph.microsoft.com/.default AD_application_id/.default" {
		t.Fatalf("scopes %v", f.scopes)
	}
}

// Outside inbound (APIM documents inbound only) the policy fills its
// output variable for a send-request, as deployed policies use it in
// outbound: the request, gone already, is not touched. Without the
// variable it is a load error there.
func TestManagedIdentityOutsideInbound(t *testing.T) {
	f := newFakeTokenEndpoint(t, 3600)
	d := identityDeps(f)
	for _, section := range []string{"outbound", "on-error"} {
		plan := compile(t, d, `<policies><inbound/><backend/><`+section+`>
  <authentication-managed-identity resource="https://storage.azure.com/" output-token-variable-name="msi-access-token" ignore-error="false" />
</`+section+`></policies>`)
		s := request("http://gw/chat", "Authorization", "Bearer client")
		s.SetResponse(engine.NewResponse(200))
		sec := engine.Outbound
		if section == "on-error" {
			sec = engine.OnError
		}
		plan.Run(context.Background(), sec, s)
		if got, _ := s.Variables()["msi-access-token"].(string); !strings.HasPrefix(got, "tok-") {
			t.Errorf("%s: the variable is %q (%+v)", section, got, s.Context().LastError)
		}
		if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer client" {
			t.Errorf("%s: the request's Authorization became %q", section, got)
		}
		s.Release()
		_, errs := compileErrs(d, `<policies><inbound/><backend/><`+section+`><authentication-managed-identity resource="https://storage.azure.com/"/></`+section+`></policies>`)
		if len(errs) != 1 || !strings.Contains(errs.Error(), "is not allowed in "+section+" without output-token-variable-name") {
			t.Errorf("%s without a variable: %v", section, errs)
		}
		// inside a send-request it authenticates the call, in any section
		if _, errs := compileErrs(d, `<policies><inbound/><backend/><`+section+`><send-request response-variable-name="r"><set-url>http://127.0.0.1:9/x</set-url>
  <authentication-managed-identity resource="https://storage.azure.com/"/></send-request></`+section+`></policies>`); len(errs) != 0 {
			t.Errorf("%s: send-request's own: %v", section, errs)
		}
	}
}

// Tokens are reused until 80% of their lifetime, then refreshed in the
// background while the current one is still handed out; an expired token
// is never handed out.
func TestTokenProviderRefreshAhead(t *testing.T) {
	f := newFakeTokenEndpoint(t, 1000)
	tp := newTokenProvider(Identity{TokenURL: f.URL, ClientID: "app", ClientSecret: "s3cr3t"}, http.DefaultClient, zap.NewNop())
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	tp.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	get := func() string {
		v, err := tp.token(context.Background(), "api://x")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get() != "tok-1" || get() != "tok-1" {
		t.Fatal("not cached")
	}
	advance(810 * time.Second) // past 80%: the old token, and a refresh starts
	if v := get(); v != "tok-1" {
		t.Fatalf("got %q during refresh", v)
	}
	for f.calls.Load() < 2 {
		time.Sleep(time.Millisecond) // waiting for the background fetch, not timing it
	}
	for {
		if v := get(); v == "tok-2" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	advance(2000 * time.Second) // tok-2 expired: fetched synchronously
	if v := get(); v != "tok-3" {
		t.Fatalf("got %q after expiry", v)
	}
}

func TestTokenProviderConcurrentMissesShareOneFetch(t *testing.T) {
	f := newFakeTokenEndpoint(t, 3600)
	tp := newTokenProvider(Identity{TokenURL: f.URL, ClientID: "app", ClientSecret: "s3cr3t"}, http.DefaultClient, zap.NewNop())
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := tp.token(context.Background(), "r"); err != nil || v != "tok-1" {
				t.Errorf("%q %v", v, err)
			}
		}()
	}
	wg.Wait()
	if f.calls.Load() != 1 {
		t.Fatalf("%d fetches", f.calls.Load())
	}
}

// TestManagedIdentityLongLifetime: a token whose expires_in is decades or
// more is cached and not refreshed at once. Multiplied out unchecked,
// 9223372037 s wrapped around to a negative lifetime (fetched again for
// every request), and 80% of 2000000000 s overflowed into a refresh time
// in the past (a background refresh after every request).
func TestManagedIdentityLongLifetime(t *testing.T) {
	for _, ttl := range []int64{2000000000, 9223372037} {
		t.Run(strconv.FormatInt(ttl, 10), func(t *testing.T) {
			f := newFakeTokenEndpoint(t, ttl)
			plan := compile(t, identityDeps(f), `<authentication-managed-identity resource="r"/>`)
			for range 3 {
				s := request("http://gw/chat")
				runInbound(plan, s)
				if got := s.Context().Request.Headers.GetValueOrDefault("Authorization", ""); got != "Bearer tok-1" {
					t.Fatalf("Authorization = %q (%+v)", got, s.Context().LastError)
				}
				s.Release()
			}
			time.Sleep(50 * time.Millisecond) // a background refresh, had one started, has called by now
			if n := f.calls.Load(); n != 1 {
				t.Fatalf("token endpoint called %d times, want 1 (cached)", n)
			}
		})
	}
}

func TestManagedIdentityFailures(t *testing.T) {
	f := newFakeTokenEndpoint(t, 3600)
	d := identityDeps(f)
	// A refused token: the request fails (never showing the secret) ...
	plan := compile(t, d, `<authentication-managed-identity resource="r" client-id="wrong-mi"/>`)
	s := request("http://gw/chat")
	runInbound(plan, s)
	le := s.Context().LastError
	if le == nil || le.Reason != ReasonTokenFailure || !strings.Contains(le.Message, "401 (invalid_client)") || strings.Contains(le.Message, "s3cr3t") || strings.Contains(le.Message, "nope") {
		t.Fatalf("LastError = %+v", le)
	}
	s.Release()
	// ... unless ignore-error: then the request goes on without a token.
	plan = compile(t, d, `<authentication-managed-identity resource="r" client-id="wrong-mi" ignore-error="true"/>`)
	s = request("http://gw/chat", "Authorization", "Bearer client")
	runInbound(plan, s)
	if s.Context().LastError != nil || s.Context().Request.Headers.GetValueOrDefault("Authorization", "") != "Bearer client" {
		t.Fatalf("%+v", s.Context().LastError)
	}
	s.Release()
	// An unreachable endpoint.
	f.Close()
	plan = compile(t, d, `<authentication-managed-identity resource="other"/>`)
	s = request("http://gw/chat")
	runInbound(plan, s)
	if le := s.Context().LastError; le == nil || le.Reason != ReasonTokenFailure {
		t.Fatalf("%+v", le)
	}
	s.Release()

	for _, c := range []struct{ src, want string }{
		{`<authentication-managed-identity/>`, `needs the attribute "resource"`},
		{`<authentication-managed-identity resource=""/>`, `must not be empty`},
		{`<authentication-managed-identity resource="r" client-id="nobody"/>`, `no identity is configured for client-id "nobody"`},
		{`<authentication-managed-identity resource="r" client-id="@(&quot;x&quot;)"/>`, `client-id`},
		{`<authentication-managed-identity resource="r" ignore-error="maybe"/>`, `ignore-error`},
	} {
		_, errs := compileErrs(d, c.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s:\n got %v\nwant %q", c.src, errs, c.want)
		}
	}
	if _, errs := compileErrs(testDeps(), `<authentication-managed-identity resource="r"/>`); len(errs) == 0 || !strings.Contains(errs.Error(), "system-assigned identity") {
		t.Errorf("no identities: %v", errs)
	}
}
