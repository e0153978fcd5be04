package policies

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"tollgate/engine"
)

// Reasons validate-jwt fails with (APIM's names; JwksUnavailable is
// tollgate's: APIM does not document one).
const (
	ReasonTokenNotPresent           = "TokenNotPresent"
	ReasonJwtInvalid                = "JwtInvalid"
	ReasonTokenExpired              = "TokenExpired"
	ReasonTokenSignatureInvalid     = "TokenSignatureInvalid"
	ReasonTokenSignatureKeyNotFound = "TokenSignatureKeyNotFound"
	ReasonTokenAudienceNotAllowed   = "TokenAudienceNotAllowed"
	ReasonTokenIssuerNotAllowed     = "TokenIssuerNotAllowed"
	ReasonTokenClaimNotFound        = "TokenClaimNotFound"
	ReasonTokenClaimValueNotAllowed = "TokenClaimValueNotAllowed"
	ReasonJwksUnavailable           = "JwksUnavailable"
)

const (
	defaultJwksTimeout = 10 * time.Second

	jwtFromHeader = iota
	jwtFromQuery
	jwtFromValue
)

// <validate-jwt header-name="Authorization" | query-parameter-name="access_token" | token-value="@(...)"
//
//	failed-validation-httpcode="401" failed-validation-error-message="…"
//	require-scheme="Bearer" require-expiration-time="true" require-signed-tokens="true"
//	clock-skew="0" output-token-variable-name="jwt">
//	<openid-config url="https://idp/.well-known/openid-configuration" timeout="10"/>
//	<jwks url="https://idp/keys" timeout="10"/>                      (tollgate)
//	<issuer-signing-keys><key id="kid">base64</key><key format="pem">…</key><key n="…" e="…"/></issuer-signing-keys>
//	<decryption-keys><key id="kid">base64 or @(…)</key></decryption-keys>            (JWE; keys may be expressions)
//	<audiences><audience>…</audience></audiences>
//	<issuers><issuer>…</issuer></issuers>
//	<required-claims><claim name="roles" match="all|any" separator=","><value>…</value></claim></required-claims>
//
// </validate-jwt>
// See docs/policies-security.md.
type validateJwt struct {
	cache *jwksCache

	from          int
	header        string
	scheme        string // required Authorization scheme; "" when not enforced
	query         string
	value         engine.Str
	status        int
	message       *engine.Str
	requireExp    bool
	requireSigned bool
	skew          time.Duration
	output        string

	inline    []sigKey
	exprKeys  []exprKey // <issuer-signing-keys><key>@(…)</key>: evaluated per request
	decrypt   []sigKey  // <decryption-keys>: symmetric keys ([]byte)
	exprDec   []exprKey // <decryption-keys><key>@(…)</key>
	sources   []jwtSource
	audiences []engine.Str
	issuers   []engine.Str
	// entraV1: validate-azure-ad-token with a tenant's domain name: the
	// Entra authority ("https://login.microsoftonline.com/") whose
	// discovery issuer gives the tenant ID of the v1.0 issuer it accepts.
	entraV1 string
	claims  []requiredClaim
	appIDs  []engine.Str // validate-azure-ad-token's client-application-ids (azp or appid)
	parser  *jwt.Parser
	// noKeys: no key source at all (no <issuer-signing-keys> key,
	// <openid-config> or <jwks>): a signed token cannot be verified.
	noKeys bool
}

// exprKey is a <key> whose text is an expression: the key is decoded from
// its value on each request (as a written-out key would be at load).
type exprKey struct {
	kid  string
	pem  bool
	text engine.Str
}

type jwtSource struct {
	src     *keySource
	timeout time.Duration
	// url, for a source whose URL is an expression (src is nil): the
	// source is looked up per request (jwksCache.source, bounded).
	url       *engine.Str
	discovery bool
}

type requiredClaim struct {
	name   string
	any    bool
	sep    string
	values []engine.Str
}

// jwtAlgs are the algorithms tollgate verifies.
var jwtAlgs = map[string]bool{
	"HS256": true, "HS384": true, "HS512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
}

// parseValidateJwt reads validate-jwt. Its key sources come from the kit's
// cache, shared by every config snapshot this registry compiles.
func (k *kit) parseValidateJwt(p *engine.Parser) engine.Step {
	certs := k.certificates
	v := &validateJwt{
		cache:         k.jwks,
		status:        int(p.LitInt("failed-validation-httpcode", http.StatusUnauthorized, 100, 599)),
		requireExp:    p.LitBool("require-expiration-time", true),
		requireSigned: p.LitBool("require-signed-tokens", true),
		skew:          time.Duration(p.LitInt("clock-skew", 0, 0, 86400)) * time.Second,
		output:        p.LitStr("output-token-variable-name", ""),
		parser:        jwt.NewParser(jwt.WithoutClaimsValidation()),
	}
	if p.Has("failed-validation-error-message") {
		m := p.Str("failed-validation-error-message", "")
		v.message = &m
	}
	if p.Has("output-token-variable-name") && v.output == "" {
		p.Errorf("attribute %q must not be empty", "output-token-variable-name")
	}

	v.parseSource(p, "", p.LitStr("require-scheme", "Bearer"))

	keysGiven := false
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "openid-config", "jwks":
			us := c.RequiredStr("url")
			t := time.Duration(c.LitInt("timeout", int64(defaultJwksTimeout/time.Second), 1, 60)) * time.Second
			keysGiven = true
			discovery := n.Name == "openid-config"
			if !us.IsConst() {
				v.sources = append(v.sources, jwtSource{url: &us, discovery: discovery, timeout: t})
				continue
			}
			u := us.Const()
			if u != "" && n.Attr("url") != nil {
				if err := checkHTTPURL(u); err != nil {
					c.ErrorAt(n.Attr("url").ValuePos, "%s", err.Error())
				}
			}
			v.sources = append(v.sources, jwtSource{src: v.cache.source(u, discovery), timeout: t})
		case "issuer-signing-keys":
			for _, kn := range c.Children() {
				if kn.Name != "key" {
					continue // reported as unexpected
				}
				keysGiven = true
				if k, ek, ok := parseInlineKey(c.Child(kn), false, certs); ek != nil {
					v.exprKeys = append(v.exprKeys, *ek)
				} else if ok {
					v.inline = append(v.inline, k)
				}
			}
		case "audiences":
			v.audiences = append(v.audiences, textList(c, "audience")...)
		case "issuers":
			v.issuers = append(v.issuers, textList(c, "issuer")...)
		case "required-claims":
			for _, cn := range c.Children() {
				if cn.Name != "claim" {
					continue
				}
				cp := c.Child(cn)
				rc := requiredClaim{
					name: cp.RequiredLitStr("name"),
					any:  cp.LitStr("match", "all", "all", "any") == "any",
					sep:  cp.LitStr("separator", ""),
				}
				rc.values = textList(cp, "value")
				v.claims = append(v.claims, rc)
			}
		case "decryption-keys":
			for _, kn := range c.Children() {
				if kn.Name != "key" {
					continue // reported as unexpected
				}
				if k, ek, ok := parseInlineKey(c.Child(kn), true, nil); ek != nil {
					v.exprDec = append(v.exprDec, *ek)
				} else if ok {
					v.decrypt = append(v.decrypt, k)
				}
			}
		default:
			c.Errorf("unexpected element <%s> inside <validate-jwt> (want openid-config, jwks, issuer-signing-keys, decryption-keys, audiences, issuers, required-claims)", n.Name)
		}
	}
	// APIM's page marks every key source optional, and APIM saves such a
	// policy: no signed token can be verified then (keysFor refuses them).
	v.noKeys = !keysGiven
	if v.noKeys && v.requireSigned {
		p.Noticef("<validate-jwt> has no signing keys (<issuer-signing-keys>, <openid-config url> or <jwks url>): every signed token will be refused (JwtInvalid), and unsigned ones too, as require-signed-tokens is true")
	}
	return v
}

// parseSource reads where the token is: exactly one of header-name,
// query-parameter-name and token-value (defHeader, when not "", is the
// header used when none is given). scheme applies to the Authorization
// header only, as in APIM.
func (v *validateJwt) parseSource(p *engine.Parser, defHeader, scheme string) {
	var given []string
	for _, a := range []string{"header-name", "query-parameter-name", "token-value"} {
		if p.Has(a) {
			given = append(given, a)
		}
	}
	name := "<" + p.Node().Name + ">"
	switch len(given) {
	case 0:
		if defHeader != "" {
			v.from, v.header = jwtFromHeader, defHeader
			if strings.EqualFold(defHeader, "Authorization") {
				v.scheme = scheme
			}
			return
		}
		p.Errorf("%s needs one of the attributes \"header-name\", \"query-parameter-name\" or \"token-value\" (where the token is)", name)
	case 1:
	default:
		p.Errorf("%s takes only one of %s: the token comes from one place", name, quoteList(given))
	}
	if p.Has("require-scheme") && strings.TrimSpace(scheme) == "" {
		p.Errorf("attribute %q must not be empty", "require-scheme")
	}
	if p.Has("header-name") {
		v.from = jwtFromHeader
		v.header = p.RequiredLitStr("header-name")
		if strings.EqualFold(v.header, "Authorization") {
			v.scheme = scheme
		}
	}
	if p.Has("query-parameter-name") {
		v.from = jwtFromQuery
		v.query = p.RequiredLitStr("query-parameter-name")
	}
	if p.Has("token-value") {
		v.from = jwtFromValue
		v.value = p.RequiredStr("token-value")
	}
}

// parseInlineKey reads <key id="kid">base64</key> (a symmetric key, as
// APIM), <key n="…" e="…"/> (an RSA public key, as APIM) or tollgate's
// <key format="pem">-----BEGIN PUBLIC KEY-----…</key> (RSA or EC public key
// or certificate). A key whose text is an expression (APIM allows
// expressions there) is returned as an exprKey, decoded on each request.
// Decryption keys (decrypt) are symmetric: base64 only.
func parseInlineKey(p *engine.Parser, decrypt bool, certs []NamedCertificate) (sigKey, *exprKey, bool) {
	k := sigKey{kid: p.LitStr("id", "")}
	format := "base64"
	if !decrypt {
		format = p.LitStr("format", "base64", "base64", "pem")
	}
	if p.Has("certificate-id") {
		if decrypt {
			p.Attr("certificate-id")
			p.Errorf("<key certificate-id> among <decryption-keys> is not supported by tollgate (RSA-encrypted tokens): use symmetric keys")
			return k, nil, false
		}
		pos := p.Node().Attr("certificate-id").ValuePos
		id := p.RequiredLitStr("certificate-id")
		if p.HasText() {
			p.TextStr()
			p.Errorf("<key certificate-id> takes no text")
			return k, nil, false
		}
		key, err := certificatePublicKey(certs, id)
		if err != nil {
			p.ErrorAt(pos, "%v", err)
			return k, nil, false
		}
		k.key = key
		return k, nil, true
	}
	if !decrypt && (p.Has("n") || p.Has("e")) {
		n, e := p.RequiredLitStr("n"), p.RequiredLitStr("e")
		if p.HasText() {
			p.TextStr()
			p.Errorf("<key n e> takes no text")
			return k, nil, false
		}
		if n == "" || e == "" {
			return k, nil, false
		}
		pub, err := rsaFromNE(n, e)
		if err != nil {
			p.Errorf("bad RSA key: %v", err)
			return k, nil, false
		}
		k.key = pub
		return k, nil, true
	}
	t := p.TextStr()
	if !t.IsConst() {
		return k, &exprKey{kid: k.kid, pem: format == "pem", text: t}, true
	}
	text := strings.TrimSpace(t.Const())
	if text == "" {
		p.Errorf("<key> is empty")
		return k, nil, false
	}
	key, err := decodeKeyText(text, format == "pem")
	if err != nil {
		p.Errorf("%v", err)
		return k, nil, false
	}
	k.key = key
	return k, nil, true
}

// certificatePublicKey is the public key of the gateway's certificate
// named id (--certificates: APIM's certificate entities, by name), for
// <key certificate-id>.
func certificatePublicKey(certs []NamedCertificate, id string) (any, error) {
	for i := range certs {
		if certs[i].Name != id {
			continue
		}
		leaf := certs[i].Cert.Leaf
		if leaf == nil && len(certs[i].Cert.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(certs[i].Cert.Certificate[0])
		}
		if leaf == nil {
			break
		}
		switch pub := leaf.PublicKey.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			return pub, nil
		}
		return nil, fmt.Errorf("certificate %q holds a %T key: a signing key is RSA or EC", id, leaf.PublicKey)
	}
	return nil, fmt.Errorf("no certificate named %q in the gateway's certificates (--certificates: NAME.pem files holding a certificate and its key)", id)
}

// decodeKeyText decodes a <key>'s text: a base64 symmetric key or, with
// pem, a PEM public key. Its errors never quote the key.
func decodeKeyText(text string, isPEM bool) (any, error) {
	if isPEM {
		pub, err := parsePEMKey(text)
		if err != nil {
			return nil, fmt.Errorf("bad PEM key: %w", err)
		}
		return pub, nil
	}
	b, err := decodeB64Any(strings.Join(strings.Fields(text), ""))
	if err != nil {
		return nil, errors.New("a symmetric <key> must be base64 (as APIM); for a PEM public key write format=\"pem\"")
	}
	if len(b) < 16 {
		return nil, fmt.Errorf("the symmetric key is %d bytes long: use at least 16 (128 bits)", len(b))
	}
	return b, nil
}

// evalKeys decodes the keys given by expressions for this request. A key
// expression that gives "" (a variable not set) adds no key; one whose
// value is not a key fails the policy (ExpressionValueEvaluationFailure),
// with a message that does not quote the value.
func evalKeys(s *engine.State, eks []exprKey, what string) ([]sigKey, error) {
	if len(eks) == 0 {
		return nil, nil
	}
	out := make([]sigKey, 0, len(eks))
	for i, ek := range eks {
		text, err := ek.text.Eval(s)
		if err != nil {
			return nil, err
		}
		if text = strings.TrimSpace(text); text == "" {
			continue
		}
		key, err := decodeKeyText(text, ek.pem)
		if err != nil {
			return nil, engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError,
				fmt.Sprintf("validate-jwt: %s <key> %d did not give a usable key: %v", what, i+1, err), nil)
		}
		out = append(out, sigKey{kid: ek.kid, key: key})
	}
	return out, nil
}

func parsePEMKey(text string) (any, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("no PEM block (-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----)")
	}
	var pub any
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = k
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = k
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub = cert.PublicKey
	default:
		return nil, fmt.Errorf("a %q block is not a public key (want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE)", block.Type)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 1024 {
			return nil, errors.New("the RSA key must be at least 1024 bits")
		}
		return k, nil
	case *ecdsa.PublicKey:
		return k, nil
	}
	return nil, fmt.Errorf("a %T key cannot verify RS, PS or ES tokens", pub)
}

// jwtFail is a validation failure, before it becomes a PolicyError.
type jwtFail struct {
	reason, msg string
}

func (f *jwtFail) Error() string { return f.reason + ": " + f.msg }

func failf(reason, format string, args ...any) *jwtFail {
	return &jwtFail{reason: reason, msg: fmt.Sprintf(format, args...)}
}

func (v *validateJwt) Run(ctx context.Context, s *engine.State) error {
	tok, err := v.validate(ctx, s)
	if err != nil {
		var f *jwtFail
		if !errors.As(err, &f) {
			return err // an expression failed
		}
		return v.fail(s, f)
	}
	if v.output != "" {
		s.Variables()[v.output] = tok
	}
	if s.Trace() != nil {
		s.Tracef("token valid: alg=%s sub=%q iss=%q", tok.Header["alg"], tok.Subject, tok.Issuer)
	}
	return nil
}

func (v *validateJwt) fail(s *engine.State, f *jwtFail) error {
	s.Tracef("%s: %s", f.reason, f.msg)
	if f.reason == ReasonJwksUnavailable {
		// Not the token's fault: a server error (the client may retry).
		return engine.NewPolicyError(f.reason, http.StatusServiceUnavailable, f.msg, nil)
	}
	msg := f.msg
	if v.message != nil {
		m, err := v.message.Eval(s)
		if err != nil {
			return err
		}
		msg = m
	}
	pe := engine.NewPolicyError(f.reason, v.status, f.msg, nil)
	if v.status < 500 {
		pe.Response = engine.ErrorResponse(v.status, msg)
		if v.status == http.StatusUnauthorized {
			// RFC 6750 §3: no error code when the request had no token.
			www := `Bearer error="invalid_token"`
			if f.reason == ReasonTokenNotPresent {
				www = "Bearer"
			}
			pe.Response.Headers["Www-Authenticate"] = []string{www}
		}
	}
	return pe
}

// token finds the token in the request.
func (v *validateJwt) token(s *engine.State) (string, error) {
	req := s.Context().Request
	var raw string
	switch v.from {
	case jwtFromHeader:
		raw = strings.TrimSpace(req.Headers.GetValueOrDefault(v.header, ""))
		if raw == "" {
			return "", failf(ReasonTokenNotPresent, "JWT not present: no %s header.", v.header)
		}
		if v.scheme != "" {
			sch, rest, ok := strings.Cut(raw, " ")
			if !ok || !strings.EqualFold(sch, v.scheme) {
				return "", failf(ReasonTokenNotPresent, "JWT not present: the %s header does not use the %s scheme.", v.header, v.scheme)
			}
			return strings.TrimSpace(rest), nil
		}
	case jwtFromQuery:
		if req.Url != nil {
			raw = strings.TrimSpace(req.Url.Query.GetValueOrDefault(v.query, ""))
		}
		if raw == "" {
			return "", failf(ReasonTokenNotPresent, "JWT not present: no %s query parameter.", v.query)
		}
	default:
		t, err := v.value.Eval(s)
		if err != nil {
			return "", err
		}
		raw = strings.TrimSpace(t)
		if raw == "" {
			return "", failf(ReasonTokenNotPresent, "JWT not present: token-value is empty.")
		}
	}
	// Tolerate "Bearer " in a custom header, a query parameter or token-value.
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	return raw, nil
}

func (v *validateJwt) validate(ctx context.Context, s *engine.State) (*engine.Jwt, error) {
	raw, err := v.token(s)
	if err != nil {
		return nil, err
	}
	if strings.Count(raw, ".") == 4 { // an encrypted token (JWE compact)
		if raw, err = v.decryptToken(s, raw); err != nil {
			return nil, err
		}
	}
	dyn, err := evalKeys(s, v.exprKeys, "issuer-signing-keys")
	if err != nil {
		return nil, err
	}
	srcs, err := v.requestSources(s)
	if err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	var look keyLookup
	tok, err := v.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) { return v.keysFor(ctx, t, dyn, srcs, &look) })
	if err != nil {
		var f *jwtFail
		switch {
		case errors.As(err, &f):
			return nil, f
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, failf(ReasonTokenSignatureInvalid, "Invalid JWT signature.")
		case errors.Is(err, jwt.ErrTokenMalformed):
			return nil, failf(ReasonJwtInvalid, "Invalid JWT: malformed token.")
		}
		return nil, failf(ReasonJwtInvalid, "Invalid JWT: %s.", jwtErrText(err))
	}

	now := v.cache.now()
	exp, err := claims.GetExpirationTime()
	if err != nil {
		return nil, failf(ReasonJwtInvalid, "Invalid JWT: the exp claim is not a number.")
	}
	if exp == nil && v.requireExp {
		return nil, failf(ReasonJwtInvalid, "Invalid JWT: the token has no expiration time (exp).")
	}
	if exp != nil && !now.Before(exp.Add(v.skew)) {
		return nil, failf(ReasonTokenExpired, "Lifetime validation failed: the token is expired.")
	}
	nbf, err := claims.GetNotBefore()
	if err != nil {
		return nil, failf(ReasonJwtInvalid, "Invalid JWT: the nbf claim is not a number.")
	}
	if nbf != nil && now.Before(nbf.Add(-v.skew)) {
		return nil, failf(ReasonJwtInvalid, "Lifetime validation failed: the token is not valid yet (nbf).")
	}

	if len(v.audiences) > 0 {
		aud, _ := claims.GetAudience()
		ok, err := anyMatch(s, v.audiences, aud)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, failf(ReasonTokenAudienceNotAllowed, "Invalid JWT audience.")
		}
	}
	// The issuers: those listed, and the issuer of each discovery document
	// the keys came from (APIM takes "signing keys and issuer" from an
	// openid-config).
	if len(v.issuers) > 0 || look.discovery {
		iss, _ := claims.GetIssuer()
		ok := false
		if len(v.issuers) > 0 {
			if ok, err = anyMatch(s, v.issuers, []string{iss}); err != nil {
				return nil, err
			}
		}
		if iss == "" || !ok && !discoveryIssuer(iss, look.issuers, claims) && (v.entraV1 == "" || !entraV1Issuer(iss, look.issuers, v.entraV1)) {
			return nil, failf(ReasonTokenIssuerNotAllowed, "Invalid JWT issuer.")
		}
	}
	if len(v.appIDs) > 0 {
		var apps []string
		for _, c := range []string{"azp", "appid"} {
			if a, _ := claims[c].(string); a != "" {
				apps = append(apps, a)
			}
		}
		ok, err := anyMatch(s, v.appIDs, apps)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, failf(ReasonTokenClaimValueNotAllowed, "Invalid client application: the token's azp/appid is not an allowed client application ID.")
		}
	}
	if err := v.checkClaims(s, claims); err != nil {
		return nil, err
	}
	return engine.NewJwt(tok.Header, claims), nil
}

func jwtErrText(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "token is unverifiable: ")
	return strings.TrimSuffix(msg, ".")
}

func anyMatch(s *engine.State, want []engine.Str, got []string) (bool, error) {
	for _, w := range want {
		x, err := w.Eval(s)
		if err != nil {
			return false, err
		}
		for _, g := range got {
			if g == x && g != "" {
				return true, nil
			}
		}
	}
	return false, nil
}

func (v *validateJwt) checkClaims(s *engine.State, claims jwt.MapClaims) error {
	var missing []string
	for _, rc := range v.claims {
		val, ok := claims[rc.name]
		if !ok || val == nil {
			missing = append(missing, rc.name)
			continue
		}
		if len(rc.values) == 0 {
			continue
		}
		have := claimValues(val, rc.sep)
		matched := 0
		for _, w := range rc.values {
			x, err := w.Eval(s)
			if err != nil {
				return err
			}
			for _, h := range have {
				if h == x {
					matched++
					break
				}
			}
		}
		if (rc.any && matched == 0) || (!rc.any && matched < len(rc.values)) {
			return failf(ReasonTokenClaimValueNotAllowed, "Claim %s has a value that is not allowed.", rc.name)
		}
	}
	if len(missing) > 0 {
		return failf(ReasonTokenClaimNotFound, "JWT is missing the following claims: %s.", strings.Join(missing, ", "))
	}
	return nil
}

// claimValues lists a claim's values: an array's elements, or a string
// split at sep (when given), or the single value.
func claimValues(v any, sep string) []string {
	var out []string
	add := func(x any) {
		str, ok := x.(string)
		if !ok {
			str = fmt.Sprint(x)
		}
		if sep != "" {
			for _, p := range strings.Split(str, sep) {
				out = append(out, strings.TrimSpace(p))
			}
			return
		}
		out = append(out, str)
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			add(e)
		}
		return out
	}
	add(v)
	return out
}

// requestSources are the key sources for this request: those whose URL
// is an expression looked up by the URL it gives now.
func (v *validateJwt) requestSources(s *engine.State) ([]jwtSource, error) {
	dynamic := false
	for _, src := range v.sources {
		dynamic = dynamic || src.src == nil
	}
	if !dynamic {
		return v.sources, nil
	}
	out := make([]jwtSource, len(v.sources))
	for i, src := range v.sources {
		out[i] = src
		if src.src != nil {
			continue
		}
		u, err := src.url.Eval(s)
		if err != nil {
			return nil, err
		}
		if err := checkHTTPURL(u); err != nil {
			what := "jwks"
			if src.discovery {
				what = "openid-config"
			}
			return nil, engine.NewPolicyError(engine.ReasonExpression, 500, "validate-jwt: <"+what+" url>: "+err.Error(), nil)
		}
		out[i].src = v.cache.source(u, src.discovery)
	}
	return out, nil
}

// keyLookup is what keysFor learnt of the discovery documents it used.
type keyLookup struct {
	discovery bool     // an <openid-config> was among the sources
	issuers   []string // their "issuer"s
}

// discoveryIssuer reports whether iss is the issuer of one of the discovery
// documents. Microsoft Entra's multi-tenant documents (the common and
// organizations endpoints) give "https://login.microsoftonline.com/{tenantid}/v2.0":
// there the token's tid claim stands for {tenantid}, as Microsoft's own
// issuer validator reads it.
func discoveryIssuer(iss string, docs []string, claims jwt.MapClaims) bool {
	for _, d := range docs {
		if d == iss {
			return true
		}
		if strings.Contains(d, "{tenantid}") {
			if tid, _ := claims["tid"].(string); tid != "" && strings.Replace(d, "{tenantid}", tid, 1) == iss {
				return true
			}
		}
	}
	return false
}

// keysFor returns the keys that may have signed t.
func (v *validateJwt) keysFor(ctx context.Context, t *jwt.Token, dyn []sigKey, srcs []jwtSource, look *keyLookup) (any, error) {
	alg, _ := t.Header["alg"].(string)
	if alg == "none" {
		if v.requireSigned {
			return nil, failf(ReasonJwtInvalid, "Invalid JWT: the token is not signed (alg none).")
		}
		return jwt.UnsafeAllowNoneSignatureType, nil
	}
	if !jwtAlgs[alg] {
		return nil, failf(ReasonJwtInvalid, "Invalid JWT: algorithm %q is not accepted.", alg)
	}
	if v.noKeys {
		return nil, failf(ReasonJwtInvalid, "Signature validation failed: the policy has no signing keys to validate the signature with.")
	}
	kid, _ := t.Header["kid"].(string)
	keys, err := v.candidates(ctx, alg, kid, false, dyn, srcs, look)
	if err == nil && len(keys) == 0 && len(srcs) > 0 {
		keys, err = v.candidates(ctx, alg, kid, true, dyn, srcs, look) // maybe rotated: refetch (rate-limited)
	}
	if len(keys) == 0 {
		if err != nil {
			return nil, err
		}
		if kid != "" {
			return nil, failf(ReasonTokenSignatureKeyNotFound, "No %s signing key with id %q.", alg, kid)
		}
		return nil, failf(ReasonTokenSignatureKeyNotFound, "No signing key for %s tokens.", alg)
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

func (v *validateJwt) candidates(ctx context.Context, alg, kid string, refresh bool, dyn []sigKey, srcs []jwtSource, look *keyLookup) ([]jwt.VerificationKey, error) {
	var out []jwt.VerificationKey
	out = pickKeys(out, v.inline, alg, kid)
	out = pickKeys(out, dyn, alg, kid)
	var ferr error
	for _, src := range srcs {
		look.discovery = look.discovery || src.src.discovery
		ks, err := src.src.get(ctx, src.timeout, refresh)
		if err != nil {
			ferr = failf(ReasonJwksUnavailable, "Signing keys unavailable: %v.", err)
			continue
		}
		if ks.issuer != "" {
			look.issuers = append(look.issuers, ks.issuer)
		}
		out = pickKeys(out, ks.keys, alg, kid)
	}
	return out, ferr
}

func pickKeys(out []jwt.VerificationKey, keys []sigKey, alg, kid string) []jwt.VerificationKey {
	for _, k := range keys {
		if kid != "" && k.kid != "" && k.kid != kid {
			continue
		}
		if k.alg != "" && k.alg != alg {
			continue
		}
		if keyFits(alg, k.key) {
			out = append(out, k.key)
		}
	}
	return out
}

func keyFits(alg string, key any) bool {
	switch alg[:2] {
	case "HS":
		_, ok := key.([]byte)
		return ok
	case "RS", "PS":
		_, ok := key.(*rsa.PublicKey)
		return ok
	case "ES":
		k, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return false
		}
		switch alg {
		case "ES256":
			return k.Curve == elliptic.P256()
		case "ES384":
			return k.Curve == elliptic.P384()
		case "ES512":
			return k.Curve == elliptic.P521()
		}
	}
	return false
}
