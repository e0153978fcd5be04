package policies

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
	"tollgate/internal/testutil"
)

var (
	jwtHSKey   = []byte("0123456789abcdef0123456789abcdef")
	jwtHSKeyB  = base64.StdEncoding.EncodeToString(jwtHSKey)
	jwtKeyOnce sync.Once
	jwtRSA     *rsa.PrivateKey
	jwtRSA2    *rsa.PrivateKey
	jwtEC256   *ecdsa.PrivateKey
	jwtEC384   *ecdsa.PrivateKey
)

func jwtKeys(t testing.TB) {
	t.Helper()
	jwtKeyOnce.Do(func() {
		jwtRSA, _ = rsa.GenerateKey(rand.Reader, 2048)
		jwtRSA2, _ = rsa.GenerateKey(rand.Reader, 2048)
		jwtEC256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwtEC384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	})
}

// jwtSign signs claims with alg and key; kid is set when not "".
func jwtSign(t testing.TB, alg string, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// jwtUnsigned builds an alg "none" token.
func jwtUnsigned(claims jwt.MapClaims) string {
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

// jwtClaims returns valid claims, changed by mod.
func jwtClaims(mod func(jwt.MapClaims)) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub": "alice", "iss": "https://idp.example/", "aud": []string{"api://chat", "other"},
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"scp": "chat.read profile", "roles": []string{"user", "admin"}, "tid": "t1",
	}
	if mod != nil {
		mod(c)
	}
	return c
}

func pemOf(t testing.TB, pub any) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// jwtCompile compiles src with validate-jwt bound to cache.
func jwtCompile(t testing.TB, cache *jwksCache, src string) *engine.Plan {
	t.Helper()
	plan, errs := jwtCompileErrs(cache, src)
	if len(errs) > 0 {
		t.Fatalf("load errors:\n%s", errs.Error())
	}
	return plan
}

func jwtCompileErrs(cache *jwksCache, src string) (*engine.Plan, engine.ErrorList) {
	src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
	root, err := engine.Read("policy.xml", []byte(src))
	if err != nil {
		var el engine.ErrorList
		el.Append(err)
		return nil, el
	}
	reg := Registry(testDeps())
	if cache != nil {
		reg["validate-jwt"] = engine.Policy{Sections: engine.Inbound, Parse: (&kit{jwks: cache}).parseValidateJwt}
	}
	c := engine.NewCompiler(reg, engine.NewNamedValues(engine.NamedValue{Name: "hskey", Value: jwtHSKeyB, Secret: true}))
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors()
}

// jwtRun runs inbound and returns the failure reason ("" when it passed).
func jwtRun(t testing.TB, plan *engine.Plan, s *engine.State) string {
	t.Helper()
	if !runInbound(plan, s) {
		return ""
	}
	if le := s.LastError(); le != nil {
		return le.Reason
	}
	t.Fatalf("stopped without an error")
	return ""
}

func TestValidateJwtInlineHS(t *testing.T) {
	policy := `<validate-jwt header-name="Authorization" output-token-variable-name="jwt">
  <issuer-signing-keys><key>{{hskey}}</key></issuer-signing-keys>
  <audiences><audience>api://chat</audience></audiences>
  <issuers><issuer>https://other/</issuer><issuer>https://idp.example/</issuer></issuers>
  <required-claims>
    <claim name="scp" match="any" separator=" "><value>chat.read</value><value>chat.write</value></claim>
    <claim name="roles" match="all"><value>user</value><value>admin</value></claim>
    <claim name="tid"/>
  </required-claims>
</validate-jwt>`
	plan := jwtCompile(t, nil, policy)
	skewed := jwtCompile(t, nil, strings.Replace(policy, `output-token-variable-name="jwt"`, `clock-skew="60"`, 1))
	hs := func(mod func(jwt.MapClaims)) string {
		return "Bearer " + jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(mod))
	}
	ago := func(d time.Duration) int64 { return time.Now().Add(-d).Unix() }

	for _, tc := range []struct {
		name   string
		plan   *engine.Plan
		auth   string
		reason string
	}{
		{"valid", plan, hs(nil), ""},
		{"valid HS512", plan, "Bearer " + jwtSign(t, "HS512", jwtHSKey, "", jwtClaims(nil)), ""},
		{"scheme is case-insensitive", plan, "bearer " + jwtSign(t, "HS384", jwtHSKey, "", jwtClaims(nil)), ""},
		{"no header", plan, "", "TokenNotPresent"},
		{"other scheme", plan, "Basic " + jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), "TokenNotPresent"},
		{"no scheme", plan, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), "TokenNotPresent"},
		{"malformed", plan, "Bearer abc.def", "JwtInvalid"},
		{"expired", plan, hs(func(c jwt.MapClaims) { c["exp"] = ago(30 * time.Second) }), "TokenExpired"},
		{"expired within skew", skewed, hs(func(c jwt.MapClaims) { c["exp"] = ago(30 * time.Second) }), ""},
		{"expired beyond skew", skewed, hs(func(c jwt.MapClaims) { c["exp"] = ago(90 * time.Second) }), "TokenExpired"},
		{"not yet valid", plan, hs(func(c jwt.MapClaims) { c["nbf"] = ago(-30 * time.Second) }), "JwtInvalid"},
		{"not yet valid within skew", skewed, hs(func(c jwt.MapClaims) { c["nbf"] = ago(-30 * time.Second) }), ""},
		{"no exp", plan, hs(func(c jwt.MapClaims) { delete(c, "exp") }), "JwtInvalid"},
		{"wrong key", plan, "Bearer " + jwtSign(t, "HS256", []byte("another-key-another-key-another!"), "", jwtClaims(nil)), "TokenSignatureInvalid"},
		{"alg none", plan, "Bearer " + jwtUnsigned(jwtClaims(nil)), "JwtInvalid"},
		{"wrong audience", plan, hs(func(c jwt.MapClaims) { c["aud"] = "api://other" }), "TokenAudienceNotAllowed"},
		{"no audience", plan, hs(func(c jwt.MapClaims) { delete(c, "aud") }), "TokenAudienceNotAllowed"},
		{"wrong issuer", plan, hs(func(c jwt.MapClaims) { c["iss"] = "https://evil/" }), "TokenIssuerNotAllowed"},
		{"claim missing", plan, hs(func(c jwt.MapClaims) { delete(c, "tid") }), "TokenClaimNotFound"},
		{"all: one value missing", plan, hs(func(c jwt.MapClaims) { c["roles"] = []string{"user"} }), "TokenClaimValueNotAllowed"},
		{"all: string claim", plan, hs(func(c jwt.MapClaims) { c["roles"] = "user" }), "TokenClaimValueNotAllowed"},
		{"any: other value", plan, hs(func(c jwt.MapClaims) { c["scp"] = "profile email" }), "TokenClaimValueNotAllowed"},
		{"any: second value, separator", plan, hs(func(c jwt.MapClaims) { c["scp"] = "email chat.write" }), ""},
		{"any: no separator split for arrays", plan, hs(func(c jwt.MapClaims) { c["scp"] = []string{"x", "chat.read"} }), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s *engine.State
			if tc.auth == "" {
				s = request("ws://gw/chat")
			} else {
				s = request("ws://gw/chat", "Authorization", tc.auth)
			}
			defer s.Release()
			got := jwtRun(t, tc.plan, s)
			if got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
			if got == "" {
				if tc.plan == plan {
					j, ok := s.Variables()["jwt"].(*engine.Jwt)
					if !ok || j.Subject != "alice" || j.Issuer != "https://idp.example/" || j.Claim("tid") != "t1" || len(j.Audiences) != 2 {
						t.Errorf("output variable = %#v", s.Variables()["jwt"])
					}
				}
				return
			}
			r := s.Response()
			if r.StatusCode != 401 {
				t.Errorf("status = %d", r.StatusCode)
			}
			www := r.Headers.GetValueOrDefault("WWW-Authenticate", "")
			want := `Bearer error="invalid_token"`
			if tc.reason == "TokenNotPresent" {
				want = "Bearer"
			}
			if www != want {
				t.Errorf("WWW-Authenticate = %q, want %q", www, want)
			}
			body, _ := r.Body.AsString()
			if !strings.Contains(body, `"statusCode":401`) {
				t.Errorf("body = %s", body)
			}
		})
	}
}

func TestValidateJwtTokenSources(t *testing.T) {
	tok := jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil))
	keys := `<issuer-signing-keys><key>` + jwtHSKeyB + `</key></issuer-signing-keys>`
	for _, tc := range []struct {
		name, policy, url string
		hdr               []string
		reason            string
	}{
		{"query", `<validate-jwt query-parameter-name="access_token">` + keys + `</validate-jwt>`, "ws://gw/chat?access_token=" + tok, nil, ""},
		{"query missing", `<validate-jwt query-parameter-name="access_token">` + keys + `</validate-jwt>`, "ws://gw/chat?token=" + tok, nil, "TokenNotPresent"},
		{"query ignores header", `<validate-jwt query-parameter-name="access_token">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"Authorization", "Bearer " + tok}, "TokenNotPresent"},
		{"custom header: scheme ignored", `<validate-jwt header-name="X-Token" require-scheme="Bearer">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"X-Token", tok}, ""},
		{"custom header with Bearer", `<validate-jwt header-name="X-Token">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"X-Token", "Bearer " + tok}, ""},
		{"custom scheme", `<validate-jwt header-name="Authorization" require-scheme="JWT">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"Authorization", "JWT " + tok}, ""},
		{"custom scheme mismatch", `<validate-jwt header-name="Authorization" require-scheme="JWT">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"Authorization", "Bearer " + tok}, "TokenNotPresent"},
		{"token-value", `<validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;Sec-WebSocket-Protocol&quot;, &quot;&quot;))">` + keys + `</validate-jwt>`, "ws://gw/chat", []string{"Sec-WebSocket-Protocol", tok}, ""},
		{"token-value empty", `<validate-jwt token-value="@(context.Request.Headers.GetValueOrDefault(&quot;X-None&quot;, &quot;&quot;))">` + keys + `</validate-jwt>`, "ws://gw/chat", nil, "TokenNotPresent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := jwtCompile(t, nil, tc.policy)
			s := request(tc.url, tc.hdr...)
			defer s.Release()
			if got := jwtRun(t, plan, s); got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
		})
	}
}

func TestValidateJwtAsymmetricInline(t *testing.T) {
	jwtKeys(t)
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pemKeys := `<issuer-signing-keys>
  <key format="pem">` + pemOf(t, &jwtRSA.PublicKey) + `</key>
  <key format="pem" id="ec1">` + pemOf(t, &jwtEC256.PublicKey) + `</key>
  <key format="pem">` + pemOf(t, &jwtEC384.PublicKey) + `</key>
</issuer-signing-keys>`
	neKeys := `<issuer-signing-keys><key id="r1" n="` + b64(jwtRSA.N.Bytes()) + `" e="AQAB"/></issuer-signing-keys>`
	pemPlan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization">`+pemKeys+`</validate-jwt>`)
	nePlan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization">`+neKeys+`</validate-jwt>`)
	c := jwtClaims(nil)
	for _, tc := range []struct {
		name   string
		plan   *engine.Plan
		tok    string
		reason string
	}{
		{"RS256", pemPlan, jwtSign(t, "RS256", jwtRSA, "", c), ""},
		{"RS512", pemPlan, jwtSign(t, "RS512", jwtRSA, "", c), ""},
		{"PS256", pemPlan, jwtSign(t, "PS256", jwtRSA, "", c), ""},
		{"PS384", pemPlan, jwtSign(t, "PS384", jwtRSA, "any-kid", c), ""},
		{"ES256", pemPlan, jwtSign(t, "ES256", jwtEC256, "ec1", c), ""},
		{"ES256 no kid", pemPlan, jwtSign(t, "ES256", jwtEC256, "", c), ""},
		{"ES384", pemPlan, jwtSign(t, "ES384", jwtEC384, "", c), ""},
		{"ES256 wrong kid", pemPlan, jwtSign(t, "ES256", jwtEC256, "ec2", c), "TokenSignatureKeyNotFound"},
		{"RS256 other key", pemPlan, jwtSign(t, "RS256", jwtRSA2, "", c), "TokenSignatureInvalid"},
		{"HS256 against RSA keys only", pemPlan, jwtSign(t, "HS256", jwtHSKey, "", c), "TokenSignatureKeyNotFound"},
		{"HS256 signed with the RSA public key (alg confusion)", pemPlan,
			jwtSign(t, "HS256", []byte(pemOf(t, &jwtRSA.PublicKey)), "", c), "TokenSignatureKeyNotFound"},
		{"n/e RS256", nePlan, jwtSign(t, "RS256", jwtRSA, "r1", c), ""},
		{"n/e RS256 other key", nePlan, jwtSign(t, "RS256", jwtRSA2, "r1", c), "TokenSignatureInvalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := request("ws://gw/chat", "Authorization", "Bearer "+tc.tok)
			defer s.Release()
			if got := jwtRun(t, tc.plan, s); got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
		})
	}
}

func TestValidateJwtOptions(t *testing.T) {
	keys := `<issuer-signing-keys><key>` + jwtHSKeyB + `</key></issuer-signing-keys>`
	// Unsigned tokens allowed; expiration optional; custom status and message.
	plan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization" require-signed-tokens="false" require-expiration-time="false"
  failed-validation-httpcode="403" failed-validation-error-message="@(&quot;go away &quot; + context.Api.Name)">`+keys+`</validate-jwt>`)
	s := request("ws://gw/chat", "Authorization", "Bearer "+jwtUnsigned(jwtClaims(func(c jwt.MapClaims) { delete(c, "exp") })))
	if got := jwtRun(t, plan, s); got != "" {
		t.Fatalf("unsigned token: %q %+v", got, s.LastError())
	}
	s.Release()

	s = request("ws://gw/chat", "Authorization", "Bearer "+jwtSign(t, "HS256", []byte("another-key-another-key-another!"), "", jwtClaims(nil)))
	defer s.Release()
	if got := jwtRun(t, plan, s); got != "TokenSignatureInvalid" {
		t.Fatalf("reason = %q", got)
	}
	r := s.Response()
	body, _ := r.Body.AsString()
	if r.StatusCode != 403 || !strings.Contains(body, "go away test") || r.Headers.ContainsKey("WWW-Authenticate") {
		t.Errorf("response = %d %s %v", r.StatusCode, body, r.Headers)
	}
	if le := s.LastError(); le.Source != "validate-jwt" || !strings.Contains(le.Message, "signature") {
		t.Errorf("LastError = %+v", le)
	}

	// Without keys, unsigned-allowed policies still refuse signed tokens
	// (validate_jwt_nokeys_test.go).
	nokeys := jwtCompile(t, nil, `<validate-jwt header-name="Authorization" require-signed-tokens="false"/>`)
	s2 := request("ws://gw/chat", "Authorization", "Bearer "+jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)))
	defer s2.Release()
	if got := jwtRun(t, nokeys, s2); got != "JwtInvalid" {
		t.Fatalf("reason = %q", got)
	}
}

func TestValidateJwtLoadErrors(t *testing.T) {
	keys := `<issuer-signing-keys><key>` + jwtHSKeyB + `</key></issuer-signing-keys>`
	for _, tc := range []struct{ src, want string }{
		{`<validate-jwt>` + keys + `</validate-jwt>`, `policy.xml:1:20: inbound/validate-jwt[1]: <validate-jwt> needs one of the attributes`},
		{`<validate-jwt header-name="Authorization" query-parameter-name="t">` + keys + `</validate-jwt>`, `takes only one of "header-name", "query-parameter-name"`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><key>not base64!</key></issuer-signing-keys></validate-jwt>`, `policy.xml:1:83: inbound/validate-jwt[1]/issuer-signing-keys[1]/key[1]: a symmetric <key> must be base64`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><key>c2hvcnQ=</key></issuer-signing-keys></validate-jwt>`, `at least 16`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><key format="pem">xyz</key></issuer-signing-keys></validate-jwt>`, `bad PEM key`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="c"/></issuer-signing-keys></validate-jwt>`, `key[1]: no certificate named "c" in the gateway's certificates (--certificates`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><kee>x</kee></issuer-signing-keys></validate-jwt>`, `unexpected element <kee>`},
		{`<validate-jwt header-name="Authorization">` + keys + `<audience>x</audience></validate-jwt>`, `unexpected element <audience> inside <validate-jwt>`},
		{`<validate-jwt header-name="Authorization"><openid-config url="ftp://x"/></validate-jwt>`, `must start with http:// or https://`},
		// A URL written over two lines of the attribute keeps its line break (a policy of a
		// published architecture decision record does this): it could never be fetched.
		{"<validate-jwt header-name=\"Authorization\"><openid-config url=\"https://idp.example.com/oauth2/default\n      /.well-known/openid-configuration\"/></validate-jwt>", `policy.xml:1:82: inbound/validate-jwt[1]/openid-config[1]: URL "https://idp.example.com/oauth2/default\n      /.well-known/openid-configuration" is not a URL: net/url: invalid control character in URL`},
		{`<validate-jwt header-name="Authorization"><jwks url="https:///keys"/></validate-jwt>`, `URL "https:///keys" has no host`},
		{`<validate-jwt header-name="Authorization"><openid-config url="https://x/" timeout="0"/></validate-jwt>`, `"timeout" must be between 1 and 60`},
		{`<validate-jwt header-name="Authorization" clock-skew="-1">` + keys + `</validate-jwt>`, `"clock-skew" must be`},
		{`<validate-jwt header-name="Authorization" require-signed-tokens="maybe">` + keys + `</validate-jwt>`, `must be true or false`},
		{`<validate-jwt header-name="Authorization" failed-validation-httpcode="99">` + keys + `</validate-jwt>`, `between 100 and 599`},
		{`<validate-jwt header-name="Authorization" header="x">` + keys + `</validate-jwt>`, `has no attribute "header"`},
		{`<validate-jwt header-name="Authorization">` + keys + `<required-claims><claim match="some"><value>x</value></claim></required-claims></validate-jwt>`, `"match" must be one of all, any`},
		{`<validate-jwt header-name="Authorization">` + keys + `<decryption-keys><key>not base64!</key></decryption-keys></validate-jwt>`, `decryption-keys[1]/key[1]: a symmetric <key> must be base64`},
		{`<validate-jwt header-name="Authorization">` + keys + `<decryption-keys><key certificate-id="c"/></decryption-keys></validate-jwt>`, `<key certificate-id> among <decryption-keys> is not supported`},
		{`<validate-jwt header-name="Authorization"><issuer-signing-keys><key>@(1 + 2)</key></issuer-signing-keys></validate-jwt>`, `must be a string`},
	} {
		_, errs := jwtCompileErrs(nil, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s\n got: %v\nwant: %s", tc.src, errs, tc.want)
		}
		if strings.Contains(errs.Error(), jwtHSKeyB) {
			t.Errorf("a key leaked into a message: %v", errs)
		}
	}
	// What net/url takes loads: braces a template left in a path, a space (sent as %20).
	for _, u := range []string{`https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration`, `https://idp.example.com/a b/keys?p=x y`} {
		if _, errs := jwtCompileErrs(nil, `<validate-jwt header-name="Authorization"><openid-config url="`+u+`"/></validate-jwt>`); len(errs) != 0 {
			t.Errorf("%s: %v", u, errs)
		}
	}
	if _, errs := jwtCompileErrs(nil, `<policies><inbound/><backend/><outbound><validate-jwt header-name="A">`+keys+`</validate-jwt></outbound><on-error/></policies>`); len(errs) == 0 {
		t.Error("validate-jwt accepted in outbound")
	}
}

// jwksServer serves an OpenID configuration and a JWKS with the keys in
// keys (swappable), counting fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []map[string]string
	fetches atomic.Int32
	issuer  string // the discovery document's "issuer" member, as JSON with its comma ("" leaves it out)
	delay   time.Duration
	block   chan struct{} // when set, the JWKS handler waits on it
}

func newJwksServer(t testing.TB) *jwksServer {
	js := &jwksServer{}
	mux := http.NewServeMux()
	js.issuer = `"issuer":"https://idp.example/",`
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		js.mu.Lock()
		issuer := js.issuer
		js.mu.Unlock()
		fmt.Fprintf(w, `{%s"jwks_uri":"%s/keys"}`, issuer, js.URL)
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		js.fetches.Add(1)
		js.mu.Lock()
		delay, block, keys := js.delay, js.block, js.keys
		js.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		time.Sleep(delay)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	js.Server = httptest.NewServer(mux)
	t.Cleanup(js.Close)
	return js
}

func (js *jwksServer) set(keys ...map[string]string) {
	js.mu.Lock()
	js.keys = keys
	js.mu.Unlock()
}

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]string {
	b, _ := k.PublicKey.Bytes() // 0x04 || X || Y
	n := (len(b) - 1) / 2
	return map[string]string{"kty": "EC", "kid": kid, "crv": k.Curve.Params().Name,
		"x": base64.RawURLEncoding.EncodeToString(b[1 : 1+n]), "y": base64.RawURLEncoding.EncodeToString(b[1+n:])}
}

// testClock is a settable clock for the key cache.
type testClock struct{ off atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }

func newTestJwksCache() (*jwksCache, *testClock) {
	clk := &testClock{}
	c := newJwksCache(func() *http.Client { return http.DefaultClient })
	c.now = clk.now
	return c, clk
}

func TestValidateJwtJWKS(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA), ecJWK("e1", jwtEC256), map[string]string{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"})
	cache, clk := newTestJwksCache()
	src := `<validate-jwt query-parameter-name="access_token"><openid-config url="` + js.URL + `/.well-known/openid-configuration"/></validate-jwt>`
	plan := jwtCompile(t, cache, src)
	// A second snapshot (a reload) compiled by the same registry shares the cache.
	plan2 := jwtCompile(t, cache, src)
	run := func(p *engine.Plan, tok string) string {
		s := request("ws://gw/chat?access_token=" + tok)
		defer s.Release()
		return jwtRun(t, p, s)
	}
	c := jwtClaims(nil)
	k1 := jwtSign(t, "RS256", jwtRSA, "k1", c)
	for i := 0; i < 50; i++ {
		p := plan
		if i%2 == 1 {
			p = plan2
		}
		if got := run(p, k1); got != "" {
			t.Fatalf("request %d: %q", i, got)
		}
	}
	if got := run(plan, jwtSign(t, "ES256", jwtEC256, "e1", c)); got != "" {
		t.Fatalf("ES256 from JWKS: %q", got)
	}
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}

	// A rotated key: unknown kid. The last fetch was just now, so no refetch yet.
	js.set(rsaJWK("k1", jwtRSA), rsaJWK("k2", jwtRSA2))
	k2 := jwtSign(t, "RS256", jwtRSA2, "k2", c)
	if got := run(plan, k2); got != "TokenSignatureKeyNotFound" {
		t.Fatalf("unknown kid: %q", got)
	}
	if n := js.fetches.Load(); n != 1 {
		t.Fatalf("refetched within 5 minutes (%d fetches)", n)
	}
	clk.advance(6 * time.Minute)
	if got := run(plan, k2); got != "" {
		t.Fatalf("rotated key after refetch: %q", got)
	}
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	// Another unknown kid right away: rate-limited.
	for i := 0; i < 5; i++ {
		if got := run(plan, jwtSign(t, "RS256", jwtRSA2, "k3", c)); got != "TokenSignatureKeyNotFound" {
			t.Fatalf("kid k3: %q", got)
		}
	}
	if n := js.fetches.Load(); n != 2 {
		t.Fatalf("fetches = %d, want 2 (rate-limited)", n)
	}
	// After an hour the keys are refreshed in the background; requests
	// keep using the cached keys meanwhile.
	clk.advance(61 * time.Minute)
	long := jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(3 * time.Hour).Unix() }))
	if got := run(plan, long); got != "" {
		t.Fatalf("stale keys: %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for js.fetches.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := js.fetches.Load(); n != 3 {
		t.Fatalf("fetches = %d, want 3 (background refresh)", n)
	}
}

func TestValidateJwtJWKSDirectURL(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA))
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><jwks url="`+js.URL+`/keys"/>
  <issuer-signing-keys><key>`+jwtHSKeyB+`</key></issuer-signing-keys></validate-jwt>`)
	for _, tok := range []string{jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(nil)), jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil))} {
		s := request("ws://gw/chat", "Authorization", "Bearer "+tok)
		if got := jwtRun(t, plan, s); got != "" {
			t.Fatalf("reason %q", got)
		}
		s.Release()
	}
}

func TestValidateJwtJWKSDown(t *testing.T) {
	jwtKeys(t)
	addr := testutil.ClosedPort(t) // nothing listens there
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><openid-config url="http://`+addr+`/.well-known/openid-configuration" timeout="1"/></validate-jwt>`)
	s := request("ws://gw/chat", "Authorization", "Bearer "+jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(nil)))
	defer s.Release()
	t0 := time.Now()
	if got := jwtRun(t, plan, s); got != "JwksUnavailable" {
		t.Fatalf("reason = %q", got)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
	le := s.LastError()
	if !strings.Contains(le.Message, "cannot fetch") || s.Response().StatusCode != 503 {
		t.Errorf("LastError = %+v, status %d", le, s.Response().StatusCode)
	}
}

func TestValidateJwtJWKSSlow(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA))
	block := make(chan struct{})
	js.block = block
	defer close(block)
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><jwks url="`+js.URL+`/keys" timeout="1"/></validate-jwt>`)
	tok := jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(nil))
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := request("ws://gw/chat", "Authorization", "Bearer "+tok)
			defer s.Release()
			t0 := time.Now()
			got := jwtRun(t, plan, s)
			d := time.Since(t0)
			if got != "JwksUnavailable" || d > 5*time.Second || d < 900*time.Millisecond {
				t.Errorf("reason %q after %s", got, d)
			}
			if le := s.LastError(); !strings.Contains(le.Message, "within 1s") {
				t.Errorf("message = %q", le.Message)
			}
		}()
	}
	wg.Wait()
	if n := js.fetches.Load(); n != 1 {
		t.Errorf("fetches = %d, want 1 (shared)", n)
	}
}

func TestValidateJwtJWKSConcurrentFirstFetch(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA))
	js.delay = 200 * time.Millisecond
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><openid-config url="`+js.URL+`/.well-known/openid-configuration"/></validate-jwt>`)
	tok := jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(nil))
	var wg sync.WaitGroup
	var ok atomic.Int32
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := request("ws://gw/chat", "Authorization", "Bearer "+tok)
			defer s.Release()
			if !runInbound(plan, s) {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 20 || js.fetches.Load() != 1 {
		t.Fatalf("%d of 20 passed, %d fetches (want 20, 1)", ok.Load(), js.fetches.Load())
	}
}

func TestValidateJwtRequestCanceled(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA))
	block := make(chan struct{})
	js.block = block
	defer close(block)
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><jwks url="`+js.URL+`/keys"/></validate-jwt>`)
	s := request("ws://gw/chat", "Authorization", "Bearer "+jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(nil)))
	defer s.Release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if !plan.Run(ctx, engine.Inbound, s) {
		t.Fatal("passed")
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("a 10 s fetch held a canceled request for %s", d)
	}
}

// <openid-config url="@(…)">, as multi-tenant policies write it (the URL
// from a variable): the keys come from the URL the expression gives for
// each request, each URL's fetched once; a URL that is not http(s) is an
// expression failure.
func TestValidateJwtOpenIDConfigFromExpression(t *testing.T) {
	jwtKeys(t)
	a, b := newJwksServer(t), newJwksServer(t)
	a.set(rsaJWK("ka", jwtRSA))
	b.set(rsaJWK("kb", jwtRSA2))
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<set-variable name="oidc_config_url" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Idp&quot;, &quot;&quot;) + &quot;/.well-known/openid-configuration&quot;)"/>
<validate-jwt header-name="Authorization" failed-validation-httpcode="401" failed-validation-error-message="Unauthorized" require-scheme="Bearer" output-token-variable-name="jwtToken">
    <openid-config url="@((string)context.Variables["oidc_config_url"])" />
</validate-jwt>`)
	c := jwtClaims(nil)
	ta, tb := jwtSign(t, "RS256", jwtRSA, "ka", c), jwtSign(t, "RS256", jwtRSA2, "kb", c)
	for _, tc := range []struct {
		idp, token, want string
	}{
		{a.URL, ta, ""}, {b.URL, tb, ""}, {a.URL, tb, "TokenSignatureKeyNotFound"}, {a.URL, ta, ""}, {b.URL, tb, ""},
		{"ftp://idp", ta, engine.ReasonExpression},
	} {
		s := request("ws://gw/chat", "Authorization", "Bearer "+tc.token, "X-Idp", tc.idp)
		if got := jwtRun(t, plan, s); got != tc.want {
			t.Errorf("idp %s: %q, want %q", tc.idp, got, tc.want)
		}
		s.Release()
	}
	if a.fetches.Load() != 1 || b.fetches.Load() != 1 {
		t.Errorf("fetches: %d and %d, want 1 each", a.fetches.Load(), b.fetches.Load())
	}
}

// The cache keeps the keys of at most maxKeySources URLs: past that, a
// new URL's source is not kept.
func TestJwksCacheBound(t *testing.T) {
	c, _ := newTestJwksCache()
	for i := 0; i < maxKeySources+10; i++ {
		c.source(fmt.Sprintf("https://idp%d/keys", i), false)
	}
	if n := len(c.sources); n != maxKeySources {
		t.Errorf("%d sources kept, want %d", n, maxKeySources)
	}
	if c.source("https://idp1/keys", false) != c.source("https://idp1/keys", false) {
		t.Error("a kept source is not shared")
	}
}

// TestValidateJwtDiscoveryIssuer: an <openid-config> gives the keys and the
// issuer (APIM: "signing keys and issuer can be obtained" from it): a token
// of another issuer fails, whatever key signed it; listed <issuers> are
// allowed as well. A <jwks url> has no issuer to check.
func TestValidateJwtDiscoveryIssuer(t *testing.T) {
	jwtKeys(t)
	js := newJwksServer(t)
	js.set(rsaJWK("k1", jwtRSA))
	oidc := `<openid-config url="` + js.URL + `/.well-known/openid-configuration"/>`
	entra := `"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0",`
	iss := func(v string) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c["iss"] = v } }
	tests := []struct {
		name, doc, extra string // doc: the document's issuer member ("-": none)
		mod              func(jwt.MapClaims)
		want             string
	}{
		{name: "the document's issuer", want: ""},
		{name: "another issuer", mod: iss("https://evil.example/"), want: "TokenIssuerNotAllowed"},
		{name: "no issuer claim", mod: func(c jwt.MapClaims) { delete(c, "iss") }, want: "TokenIssuerNotAllowed"},
		{name: "a listed issuer as well", extra: `<issuers><issuer>https://other/</issuer></issuers>`, mod: iss("https://other/"), want: ""},
		{name: "the document's besides a list", extra: `<issuers><issuer>https://other/</issuer></issuers>`, want: ""},
		{name: "neither", extra: `<issuers><issuer>https://other/</issuer></issuers>`, mod: iss("https://evil.example/"), want: "TokenIssuerNotAllowed"},
		{name: "a document without an issuer accepts none", doc: "-", want: "TokenIssuerNotAllowed"},
		{name: "Entra multi-tenant: the token's tenant", doc: entra,
			mod: func(c jwt.MapClaims) { c["iss"], c["tid"] = "https://login.microsoftonline.com/t1/v2.0", "t1" }, want: ""},
		{name: "Entra multi-tenant: another tenant's issuer", doc: entra,
			mod: func(c jwt.MapClaims) { c["iss"], c["tid"] = "https://login.microsoftonline.com/t2/v2.0", "t1" }, want: "TokenIssuerNotAllowed"},
		{name: "Entra multi-tenant: no tid", doc: entra,
			mod: func(c jwt.MapClaims) { c["iss"] = "https://login.microsoftonline.com/t1/v2.0"; delete(c, "tid") }, want: "TokenIssuerNotAllowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			js.mu.Lock()
			switch tc.doc {
			case "":
				js.issuer = `"issuer":"https://idp.example/",`
			case "-":
				js.issuer = ""
			default:
				js.issuer = tc.doc
			}
			js.mu.Unlock()
			cache, _ := newTestJwksCache()
			plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization">`+oidc+tc.extra+`</validate-jwt>`)
			s := request("http://gw/x", "Authorization", "Bearer "+jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(tc.mod)))
			defer s.Release()
			if got := jwtRun(t, plan, s); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// A JWK Set URL (tollgate's <jwks>) names no issuer: any is accepted.
	cache, _ := newTestJwksCache()
	plan := jwtCompile(t, cache, `<validate-jwt header-name="Authorization"><jwks url="`+js.URL+`/keys"/></validate-jwt>`)
	s := request("http://gw/x", "Authorization", "Bearer "+jwtSign(t, "RS256", jwtRSA, "k1", jwtClaims(iss("https://anyone/"))))
	defer s.Release()
	if got := jwtRun(t, plan, s); got != "" {
		t.Errorf("jwks URL: %q", got)
	}
}

// TestValidateJwtCertificateID: <key certificate-id> is the public key of
// the gateway's certificate of that name (APIM's "Token validation with RSA
// certificate" example, as written).
func TestValidateJwtCertificateID(t *testing.T) {
	jwtKeys(t)
	certOf := func(name string, key crypto.Signer) NamedCertificate {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		return NamedCertificate{Name: name, Cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
	}
	certs := []NamedCertificate{certOf("my-rsa-cert", jwtRSA), certOf("my-ec-cert", jwtEC256)}
	compile := func(src string) (*engine.Plan, engine.ErrorList) {
		src = "<policies><inbound>" + src + "</inbound><backend/><outbound/><on-error/></policies>"
		root, err := engine.Read("policy.xml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		reg := Registry(testDeps())
		reg["validate-jwt"] = engine.Policy{Sections: engine.Inbound, Parse: (&kit{jwks: newJwksCache(nil), certificates: certs}).parseValidateJwt}
		c := engine.NewCompiler(reg, engine.NewNamedValues())
		return c.Compile(root, "api", nil), c.Errors()
	}
	// The documented example, as written.
	doc := `<validate-jwt header-name="Authorization" require-scheme="Bearer">
    <issuer-signing-keys>
        <key certificate-id="my-rsa-cert" />  <!-- signing key specified as certificate ID, enclosed in double-quotes -->
    </issuer-signing-keys>
    <audiences>
        <audience>@(context.Request.OriginalUrl.Host)</audience>  <!-- audience is set to API Management host name -->
    </audiences>
    <issuers>
        <issuer>http://contoso.com/</issuer>
    </issuers>
</validate-jwt>`
	plan, errs := compile(doc)
	if len(errs) > 0 {
		t.Fatalf("the documented example: %v", errs)
	}
	claims := func(c jwt.MapClaims) { c["aud"], c["iss"] = "gw", "http://contoso.com/" }
	for _, tc := range []struct {
		name string
		tok  string
		want string
	}{
		{"signed with the certificate's key", jwtSign(t, "RS256", jwtRSA, "", jwtClaims(claims)), ""},
		{"signed with another key", jwtSign(t, "RS256", jwtRSA2, "", jwtClaims(claims)), "TokenSignatureInvalid"},
	} {
		s := request("http://gw/x", "Authorization", "Bearer "+tc.tok)
		if got := jwtRun(t, plan, s); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		s.Release()
	}
	plan, errs = compile(`<validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="my-ec-cert"/></issuer-signing-keys></validate-jwt>`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := request("http://gw/x", "Authorization", "Bearer "+jwtSign(t, "ES256", jwtEC256, "", jwtClaims(nil)))
	defer s.Release()
	if got := jwtRun(t, plan, s); got != "" {
		t.Errorf("EC certificate: %q", got)
	}
	if _, errs := compile(`<validate-jwt header-name="Authorization"><issuer-signing-keys><key certificate-id="my-rsa-cert">x</key></issuer-signing-keys></validate-jwt>`); !strings.Contains(errs.Error(), "takes no text") {
		t.Errorf("text beside certificate-id: %v", errs)
	}
}
