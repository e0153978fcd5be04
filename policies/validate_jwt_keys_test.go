package policies

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"tollgate/engine"
)

// Keys given by expressions (APIM allows them in <key>): decoded on each
// request, from a variable, a header or a named value inside an expression.
func TestValidateJwtKeyExpressions(t *testing.T) {
	other := []byte("another-key-another-key-another!")
	otherB := base64.StdEncoding.EncodeToString(other)
	for _, tc := range []struct {
		name   string
		policy string
		key    string // the "signingKey" variable, "" for unset
		token  string
		reason string // "" when it passes
	}{
		{"C# variable cast", `<key>@((string)context.Variables["signingKey"])</key>`, jwtHSKeyB, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), ""},
		{"C# GetValueOrDefault", `<key>@(context.Variables.GetValueOrDefault<string>("signingKey", ""))</key>`, jwtHSKeyB, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), ""},
		{"expr-lang", `<key>@(context.Variables["signingKey"])</key>`, jwtHSKeyB, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), ""},
		{"named value in an expression", `<key>@("{{hskey}}")</key>`, "", jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), ""},
		{"wrong key from the expression", `<key>@((string)context.Variables["signingKey"])</key>`, otherB, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), "TokenSignatureInvalid"},
		{"expression key beside a written one", `<key>` + otherB + `</key><key>@((string)context.Variables["signingKey"])</key>`, jwtHSKeyB, jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), ""},
		{"unset variable: no key", `<key>@(context.Variables.GetValueOrDefault<string>("signingKey", ""))</key>`, "", jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), "TokenSignatureKeyNotFound"},
		{"kid selects", `<key id="a">@((string)context.Variables["signingKey"])</key>`, jwtHSKeyB, jwtSign(t, "HS256", jwtHSKey, "b", jwtClaims(nil)), "TokenSignatureKeyNotFound"},
		{"not base64 is an expression failure", `<key>@((string)context.Variables["signingKey"])</key>`, "not base64 SECRETKEY!", jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), engine.ReasonExpression},
		{"too short", `<key>@((string)context.Variables["signingKey"])</key>`, "c2hvcnQ=", jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil)), engine.ReasonExpression},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization"><issuer-signing-keys>`+tc.policy+`</issuer-signing-keys></validate-jwt>`)
			s := request("ws://gw/chat", "Authorization", "Bearer "+tc.token)
			defer s.Release()
			if tc.key != "" {
				s.Variables()["signingKey"] = tc.key
			}
			if got := jwtRun(t, plan, s); got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
			if le := s.LastError(); le != nil && (strings.Contains(le.Message, "SECRETKEY") || strings.Contains(le.Message, tc.key) && tc.key != "") {
				t.Errorf("the key leaked into the error: %q", le.Message)
			}
		})
	}
	// PEM keys by expression too.
	jwtKeys(t)
	plan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization"><issuer-signing-keys><key format="pem">@((string)context.Variables["pem"])</key></issuer-signing-keys></validate-jwt>`)
	s := request("ws://gw/chat", "Authorization", "Bearer "+jwtSign(t, "RS256", jwtRSA, "", jwtClaims(nil)))
	defer s.Release()
	s.Variables()["pem"] = pemOf(t, &jwtRSA.PublicKey)
	if got := jwtRun(t, plan, s); got != "" {
		t.Fatalf("PEM key by expression: %q (%+v)", got, s.LastError())
	}
}

// jweOf encrypts a signed token for key (JWE compact, content type JWT).
func jweOf(t *testing.T, alg jose.KeyAlgorithm, enc jose.ContentEncryption, key []byte, kid, inner string) string {
	t.Helper()
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key, KeyID: kid}, (&jose.EncrypterOptions{}).WithContentType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := e.Encrypt([]byte(inner))
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// <decryption-keys>: encrypted tokens (JWE) are decrypted with each key in
// turn, written out or given by an expression, then validated as usual.
func TestValidateJwtDecryptionKeys(t *testing.T) {
	dec := []byte("0123456789abcdef0123456789abcdef") // 256 bits
	decB := base64.StdEncoding.EncodeToString(dec)
	dec128 := dec[:16]
	wrong := []byte("ffffffffffffffffffffffffffffffff")
	wrongB := base64.StdEncoding.EncodeToString(wrong)
	inner := jwtSign(t, "HS256", jwtHSKey, "", jwtClaims(nil))
	badSig := jwtSign(t, "HS256", wrong, "", jwtClaims(nil))
	sign := `<issuer-signing-keys><key>{{hskey}}</key></issuer-signing-keys>`
	for _, tc := range []struct {
		name, keys, token, reason string
	}{
		{"A256KW + A256CBC-HS512", `<key>` + decB + `</key>`, jweOf(t, jose.A256KW, jose.A256CBC_HS512, dec, "", inner), ""},
		{"dir + A256GCM", `<key>` + decB + `</key>`, jweOf(t, jose.DIRECT, jose.A256GCM, dec, "", inner), ""},
		{"A128KW + A128GCM", `<key>` + base64.StdEncoding.EncodeToString(dec128) + `</key>`, jweOf(t, jose.A128KW, jose.A128GCM, dec128, "", inner), ""},
		{"second key decrypts", `<key>` + wrongB + `</key><key>` + decB + `</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "", inner), ""},
		{"key by C# expression", `<key>@((string)context.Variables["decKey"])</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "", inner), ""},
		{"no key decrypts", `<key>` + wrongB + `</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "", inner), ReasonJwtInvalid},
		{"kid mismatch", `<key id="k1">` + decB + `</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "k2", inner), ReasonJwtInvalid},
		{"kid match", `<key id="k2">` + decB + `</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "k2", inner), ""},
		{"inner signature still checked", `<key>` + decB + `</key>`, jweOf(t, jose.A256KW, jose.A256GCM, dec, "", badSig), ReasonTokenSignatureInvalid},
		{"malformed JWE", `<key>` + decB + `</key>`, "a.b.c.d.e", ReasonJwtInvalid},
		{"signed token still accepted", `<key>` + decB + `</key>`, inner, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization">`+sign+`<decryption-keys>`+tc.keys+`</decryption-keys></validate-jwt>`)
			s := request("ws://gw/chat", "Authorization", "Bearer "+tc.token)
			defer s.Release()
			s.Variables()["decKey"] = decB
			if got := jwtRun(t, plan, s); got != tc.reason {
				t.Fatalf("reason = %q, want %q (%+v)", got, tc.reason, s.LastError())
			}
		})
	}
	// Without <decryption-keys>, an encrypted token is refused clearly.
	plan := jwtCompile(t, nil, `<validate-jwt header-name="Authorization">`+sign+`</validate-jwt>`)
	s := request("ws://gw/chat", "Authorization", "Bearer "+jweOf(t, jose.A256KW, jose.A256GCM, dec, "", inner))
	defer s.Release()
	if got := jwtRun(t, plan, s); got != ReasonJwtInvalid || !strings.Contains(s.LastError().Message, "encrypted") {
		t.Errorf("no decryption keys: %q %+v", got, s.LastError())
	}
}

// FuzzValidateJwtToken: any token, signed or encrypted, fails cleanly (a
// validate-jwt reason, never a panic) unless it is a real one.
func FuzzValidateJwtToken(f *testing.F) {
	dec := []byte("0123456789abcdef0123456789abcdef")
	decB := base64.StdEncoding.EncodeToString(dec)
	for _, seed := range []string{"", "a.b.c", "a.b.c.d.e", "....", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAA.AAAA.AAAA",
		"eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIiwiemlwIjoiREVGIn0.AAAA.AAAA.AAAA.AAAA"} {
		f.Add(seed)
	}
	plan, errs := jwtCompileErrs(nil, `<validate-jwt header-name="Authorization"><issuer-signing-keys><key>{{hskey}}</key></issuer-signing-keys><decryption-keys><key>`+decB+`</key><key>@((string)context.Variables["k"])</key></decryption-keys></validate-jwt>`)
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		s := request("ws://gw/chat", "Authorization", "Bearer "+tok)
		defer s.Release()
		s.Variables()["k"] = decB
		if !runInbound(plan, s) {
			return // a token the fuzzer built with the real keys is fine
		}
		if le := s.LastError(); le == nil || le.Reason == "" {
			t.Fatalf("stopped without a reason: %+v", le)
		}
	})
}
