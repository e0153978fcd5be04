package engine

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/golang-jwt/jwt/v5"
)

// Helper functions for what C# policies reach .NET for. expr's own builtins
// (toJSON, fromJSON, toBase64, fromBase64, split, join, trim, upper, lower,
// replace, hasPrefix, now, duration, date, len, filter, map, ...) are
// available as well. Each helper has a typed signature, so misuse is a load
// error.
func helperOptions() []expr.Option {
	return []expr.Option{
		expr.Function("urlEncode", func(p ...any) (any, error) { return url.QueryEscape(p[0].(string)), nil },
			new(func(string) string)),
		expr.Function("urlDecode", func(p ...any) (any, error) { return url.QueryUnescape(p[0].(string)) },
			new(func(string) string)),
		expr.Function("base64UrlEncode", func(p ...any) (any, error) {
			return base64.RawURLEncoding.EncodeToString([]byte(p[0].(string))), nil
		}, new(func(string) string)),
		expr.Function("base64UrlDecode", func(p ...any) (any, error) {
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p[0].(string), "="))
			return string(b), err
		}, new(func(string) string)),
		expr.Function("sha256", func(p ...any) (any, error) { return hexHash(sha256.New(), p[0].(string)), nil },
			new(func(string) string)),
		expr.Function("sha512", func(p ...any) (any, error) { return hexHash(sha512.New(), p[0].(string)), nil },
			new(func(string) string)),
		expr.Function("sha1", func(p ...any) (any, error) { return hexHash(sha1.New(), p[0].(string)), nil },
			new(func(string) string)),
		expr.Function("md5", func(p ...any) (any, error) { return hexHash(md5.New(), p[0].(string)), nil },
			new(func(string) string)),
		expr.Function("hmacSha256", func(p ...any) (any, error) {
			m := hmac.New(sha256.New, []byte(p[0].(string)))
			m.Write([]byte(p[1].(string)))
			return base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
		}, new(func(key, message string) string)),
		expr.Function("hmacSha256Hex", func(p ...any) (any, error) {
			m := hmac.New(sha256.New, []byte(p[0].(string)))
			m.Write([]byte(p[1].(string)))
			return hex.EncodeToString(m.Sum(nil)), nil
		}, new(func(key, message string) string)),
		expr.Function("guid", func(p ...any) (any, error) { return NewGUID(), nil }, new(func() string)),
		expr.Function("unixTime", func(p ...any) (any, error) { return time.Now().Unix(), nil }, new(func() int64)),
		expr.Function("asJwt", func(p ...any) (any, error) { return ParseJwt(p[0].(string)), nil },
			new(func(string) *Jwt)),
		// repeat replaces expr's builtin, which builds the string before
		// charging its size to the memory budget.
		expr.Function("repeat", func(p ...any) (any, error) {
			s, n := p[0].(string), p[1].(int)
			if n < 0 {
				return nil, fmt.Errorf("repeat count %d is negative", n)
			}
			if len(s) > 0 && n > MaxExprString/len(s) {
				return nil, fmt.Errorf("repeat would build a string of more than %d bytes", MaxExprString)
			}
			return strings.Repeat(s, n), nil
		}, new(func(string, int) string)),
		expr.Function("asBasic", func(p ...any) (any, error) { return ParseBasic(p[0].(string)), nil },
			new(func(string) *BasicAuth)),
		// asUrl reads a URL as an IUrl: C#'s view of context.Api.ServiceUrl.
		expr.Function("asUrl", func(p ...any) (any, error) { return ParseUrl(p[0].(string)), nil },
			new(func(string) *Url)),
	}
}

// ParseUrl is an absolute URL as an IUrl (nil when it is not one).
func ParseUrl(s string) *Url {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil
	}
	out := &Url{}
	out.fill(u, u.Scheme, u.Host, "", nil)
	return out
}

// helperNames are the helper functions' names, for "did you mean" hints.
var helperNames = []string{"urlEncode", "urlDecode", "base64UrlEncode", "base64UrlDecode", "sha256", "sha512",
	"sha1", "md5", "hmacSha256", "hmacSha256Hex", "guid", "unixTime", "asJwt", "asBasic"}

func hexHash(h hash.Hash, s string) string {
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// NewGUID returns a random (version 4) UUID.
func NewGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Jwt is a parsed (NOT validated) token, as APIM's AsJwt(). Use the
// validate-jwt policy to check signatures.
type Jwt struct {
	Header    map[string]any
	Claims    map[string]any `csharp:"claims"` // string[] values in C#, as APIM's
	Subject   string
	Issuer    string
	Id        string
	Audiences []string
	// ExpirationTime, NotBefore and IssuedAt are zero when absent (C# sees
	// them as DateTime?, null then, as APIM's).
	ExpirationTime time.Time `csharp:"nullable"`
	NotBefore      time.Time `csharp:"nullable"`
	IssuedAt       time.Time `csharp:"nullable"`
	Algorithm      string    // the header's alg
	Type           string    // the header's typ
}

// Claim returns a claim as text ("" when absent), joining arrays with ",".
func (j *Jwt) Claim(name string) string {
	v, ok := j.Claims[name]
	if !ok {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// ParseJwt parses a compact JWT without checking it; nil when malformed.
// A leading "Bearer " is ignored.
func ParseJwt(s string) *Jwt {
	s = strings.TrimSpace(s)
	if len(s) > 7 && strings.EqualFold(s[:7], "bearer ") {
		s = strings.TrimSpace(s[7:])
	}
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(s, claims)
	if err != nil {
		return nil
	}
	return NewJwt(tok.Header, claims)
}

// NewJwt builds the expression view of a token from its header and claims
// (asJwt and validate-jwt's output-token-variable-name share it).
func NewJwt(header map[string]any, claims jwt.MapClaims) *Jwt {
	j := &Jwt{Header: header, Claims: claims}
	j.Algorithm, _ = header["alg"].(string)
	j.Type, _ = header["typ"].(string)
	j.Subject, _ = claims.GetSubject()
	j.Issuer, _ = claims.GetIssuer()
	if id, ok := claims["jti"].(string); ok {
		j.Id = id
	}
	if aud, err := claims.GetAudience(); err == nil {
		j.Audiences = aud
	}
	if t, err := claims.GetExpirationTime(); err == nil && t != nil {
		j.ExpirationTime = t.Time
	}
	if t, err := claims.GetNotBefore(); err == nil && t != nil {
		j.NotBefore = t.Time
	}
	if t, err := claims.GetIssuedAt(); err == nil && t != nil {
		j.IssuedAt = t.Time
	}
	return j
}

// BasicAuth is a parsed "Basic" Authorization value, as APIM's AsBasic().
type BasicAuth struct {
	Username string
	UserId   string // APIM's name for Username (BasicAuthCredentials.UserId)
	Password string
}

// ParseBasic parses "Basic base64(user:pass)"; nil when malformed.
func ParseBasic(s string) *BasicAuth {
	s = strings.TrimSpace(s)
	if len(s) < 6 || !strings.EqualFold(s[:6], "basic ") {
		return nil
	}
	d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s[6:]))
	if err != nil {
		return nil
	}
	u, p, ok := strings.Cut(string(d), ":")
	if !ok {
		return nil
	}
	return &BasicAuth{Username: u, UserId: u, Password: p}
}
