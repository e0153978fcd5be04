package policies

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
	"tollgate/store"
)

// jwtNotices compiles src (inside <inbound>) and returns its load errors
// and notices.
func jwtNotices(t *testing.T, src string) (*engine.Plan, engine.ErrorList, []string) {
	t.Helper()
	root, err := engine.Read("policy.xml", []byte("<policies><inbound>"+src+"</inbound><backend/><outbound/><on-error/></policies>"))
	if err != nil {
		t.Fatal(err)
	}
	c := engine.NewCompiler(Registry(Deps{Store: store.NewMemory()}), nil)
	plan := c.Compile(root, "api", nil)
	return plan, c.Errors(), c.TakeNotices()
}

// A validate-jwt without any key source (<issuer-signing-keys>,
// <openid-config>, <jwks>) loads, as APIM saves it (every key source is
// optional on its page), with a notice; at run time it refuses every signed
// token with JwtInvalid. Unsigned tokens pass when require-signed-tokens is
// false, and the other checks still apply to them.
func TestValidateJwtWithoutKeys(t *testing.T) {
	jwtKeys(t)
	// The corpus's policy (Azure-Samples/dynamic-apim-policies) as written.
	const signedOnly = `<validate-jwt header-name="Authorization" require-scheme="Bearer">
  <required-claims><claim name="roles" match="all"><value>Admin</value></claim></required-claims>
</validate-jwt>`
	const unsignedOK = `<validate-jwt header-name="Authorization" require-signed-tokens="false">
  <required-claims><claim name="roles" match="all"><value>admin</value></claim></required-claims>
</validate-jwt>`
	admin := jwtClaims(nil)
	noRoles := jwtClaims(func(c jwt.MapClaims) { delete(c, "roles") })
	for _, tc := range []struct {
		name, policy, token string
		reason, inMsg       string // "" reason: the token passes
	}{
		{"signed HS256", signedOnly, jwtSign(t, "HS256", jwtHSKey, "", admin), "JwtInvalid", "Signature validation failed"},
		{"signed RS256 with kid", signedOnly, jwtSign(t, "RS256", jwtRSA, "k1", admin), "JwtInvalid", "no signing keys"},
		{"signed ES256", signedOnly, jwtSign(t, "ES256", jwtEC256, "", admin), "JwtInvalid", "Signature validation failed"},
		{"unsigned, signed required", signedOnly, jwtUnsigned(admin), "JwtInvalid", "not signed"},
		{"no token", signedOnly, "", "TokenNotPresent", ""},
		{"garbage", signedOnly, "not.a.jwt", "JwtInvalid", ""},
		{"algorithm outside the list", signedOnly, jwtSignNoneAlg("HS999", admin), "JwtInvalid", "Invalid JWT"},
		{"unsigned, allowed", unsignedOK, jwtUnsigned(admin), "", ""},
		{"unsigned, allowed, claim missing", unsignedOK, jwtUnsigned(noRoles), "TokenClaimNotFound", ""},
		{"signed, unsigned allowed", unsignedOK, jwtSign(t, "HS256", jwtHSKey, "", admin), "JwtInvalid", "Signature validation failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, errs, _ := jwtNotices(t, tc.policy)
			if len(errs) > 0 {
				t.Fatalf("load errors: %v", errs)
			}
			var s *engine.State
			if tc.token == "" {
				s = request("ws://gw/chat")
			} else {
				s = request("ws://gw/chat", "Authorization", "Bearer "+tc.token)
			}
			defer s.Release()
			if got := jwtRun(t, plan, s); got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
			if tc.reason == "" {
				return
			}
			le := s.LastError()
			if le.Source != "validate-jwt" || !strings.Contains(le.Message, tc.inMsg) {
				t.Errorf("LastError = %+v, want a message with %q", le, tc.inMsg)
			}
			if r := s.Response(); r.StatusCode != 401 {
				t.Errorf("status %d, want 401", r.StatusCode)
			}
		})
	}
}

// jwtSignNoneAlg builds a token whose header names alg, with a dummy
// signature.
func jwtSignNoneAlg(alg string, claims jwt.MapClaims) string {
	tok := jwtUnsigned(claims)
	h := `{"alg":"` + alg + `","typ":"JWT"}`
	_, rest, _ := strings.Cut(tok, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + rest + "c2ln"
}

// The notice says what happens, once, where the policy is; a policy with a
// key source, or one that takes unsigned tokens, has none.
func TestValidateJwtWithoutKeysNotice(t *testing.T) {
	for _, tc := range []struct {
		name, src, notice string
	}{
		{"no key source", `<validate-jwt header-name="Authorization"/>`,
			`policy.xml:1:20: inbound/validate-jwt[1]: <validate-jwt> has no signing keys (<issuer-signing-keys>, <openid-config url> or <jwks url>): every signed token will be refused (JwtInvalid), and unsigned ones too, as require-signed-tokens is true`},
		{"empty issuer-signing-keys", `<validate-jwt header-name="Authorization"><issuer-signing-keys/></validate-jwt>`, "has no signing keys"},
		{"decryption keys are no signing keys", `<validate-jwt header-name="Authorization"><decryption-keys><key>` + jwtHSKeyB + `</key></decryption-keys></validate-jwt>`, "has no signing keys"},
		{"inline key", `<validate-jwt header-name="Authorization"><issuer-signing-keys><key>` + jwtHSKeyB + `</key></issuer-signing-keys></validate-jwt>`, ""},
		{"key from an expression", `<validate-jwt header-name="Authorization"><issuer-signing-keys><key>@((string)context.Variables["k"])</key></issuer-signing-keys></validate-jwt>`, ""},
		{"openid-config", `<validate-jwt header-name="Authorization"><openid-config url="https://idp.example/.well-known/openid-configuration"/></validate-jwt>`, ""},
		{"jwks", `<validate-jwt header-name="Authorization"><jwks url="https://idp.example/keys"/></validate-jwt>`, ""},
		{"unsigned tokens allowed", `<validate-jwt header-name="Authorization" require-signed-tokens="false"/>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, notices := jwtNotices(t, tc.src)
			if len(errs) > 0 {
				t.Fatalf("load errors: %v", errs)
			}
			got := strings.Join(notices, "\n")
			switch {
			case tc.notice == "" && got != "":
				t.Fatalf("notices: %s", got)
			case tc.notice != "" && (len(notices) != 1 || !strings.Contains(got, tc.notice)):
				t.Fatalf("notices: %q, want one with %q", got, tc.notice)
			}
		})
	}
}
