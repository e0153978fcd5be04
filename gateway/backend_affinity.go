package gateway

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"golang.org/x/net/http/httpguts"

	"tollgate/engine"
)

// Session awareness of a backend pool (APIM's
// pool.sessionAffinity: {"sessionId": {"source": "Cookie", "name": N}}):
// the first request of a session is load-balanced as usual and its answer
// sets the cookie N; a request that brings the cookie back goes to the
// same member of the pool. docs/resource-model.md describes it.
//
// The cookie's value is a session id and the member it is bound to:
// SESSION.MEMBER, SESSION 16 random bytes in unpadded base64url, MEMBER
// the first 8 bytes of SHA-256(pool "\x00" member) in hex. Nothing is
// stored: every replica (and every configuration after a reload that
// keeps the member) sends the session to the same member, and the value
// names no URL.
type poolAffinity struct {
	cookie string // the cookie's name
}

const (
	affinitySessionLen = 22 // 16 bytes in unpadded base64url
	affinityMemberLen  = 16 // 8 bytes in hex
	affinityValueLen   = affinitySessionLen + 1 + affinityMemberLen
)

// memberToken is a pool member's part of the cookie value.
func memberToken(pool, member string) string {
	sum := sha256.Sum256([]byte(pool + "\x00" + member))
	return hex.EncodeToString(sum[:affinityMemberLen/2])
}

// parseAffinity reads pool.sessionAffinity. A cookie name must be an
// RFC 6265 token; only the source APIM documents, Cookie, is known.
func parseAffinity(raw json.RawMessage, at engine.Pos, errs *engine.ErrorList) *poolAffinity {
	const shape = `pool.sessionAffinity must be {"sessionId": {"source": "Cookie", "name": "NAME"}}`
	var sa struct {
		SessionID *struct {
			Source string `json:"source"`
			Name   string `json:"name"`
		} `json:"sessionId"`
	}
	if json.Unmarshal(raw, &sa) != nil || sa.SessionID == nil {
		errs.Add(at, "", "%s", shape)
		return nil
	}
	if !strings.EqualFold(sa.SessionID.Source, "Cookie") {
		errs.Add(at, "", "pool.sessionAffinity.sessionId.source %q: the session id can only come from a Cookie", sa.SessionID.Source)
		return nil
	}
	name := sa.SessionID.Name
	if name == "" || len(name) > 128 || !httpguts.ValidHeaderFieldName(name) { // an RFC 6265 cookie-name is an HTTP token
		errs.Add(at, "", "pool.sessionAffinity.sessionId.name %q is not a cookie name (letters, digits and !#$%%&'*+-.^_`|~, at most 128)", name)
		return nil
	}
	return &poolAffinity{cookie: name}
}

// affinityCookie finds the pool's cookie among the request's Cookie
// headers (as the policies left them) and splits its value. A value that
// is not one tollgate set (another length, other characters) counts as no
// cookie: the session starts again.
func affinityCookie(st *engine.State, name string) (session, member string, ok bool) {
	req := st.Context().Request
	if req == nil {
		return "", "", false
	}
	for _, line := range req.Headers["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(part), "=")
			if !found || k != name {
				continue
			}
			v = strings.Trim(v, `"`)
			if len(v) != affinityValueLen || v[affinitySessionLen] != '.' {
				return "", "", false
			}
			session, member = v[:affinitySessionLen], v[affinitySessionLen+1:]
			if !validBase64URL(session) || !validHex(member) {
				return "", "", false
			}
			return session, member, true
		}
	}
	return "", "", false
}

func validBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// newAffinitySession is a fresh session id.
func newAffinitySession() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// setAffinityCookie records the Set-Cookie that binds session to member
// for the client's response (whichever it turns out to be: the backend's,
// the WebSocket 101, an error). Path is the API's path, so every operation
// of the API gets it back; HttpOnly, and Secure when the request came
// over TLS. A later pick of the same request (retry) replaces it.
func setAffinityCookie(st *engine.State, a *poolAffinity, apiPath, session, member string) {
	var b strings.Builder
	b.Grow(len(a.cookie) + affinityValueLen + len(apiPath) + 32)
	b.WriteString(a.cookie)
	b.WriteByte('=')
	b.WriteString(session)
	b.WriteByte('.')
	b.WriteString(member)
	b.WriteString("; Path=")
	// A cookie's path-value ends at ';' (RFC 6265): an API path holding
	// one ("/a;Domain=x", a valid URL path) would add attributes of its
	// own. The path up to it covers the API's requests.
	if i := strings.IndexByte(apiPath, ';'); i >= 0 {
		apiPath = apiPath[:i]
	}
	if apiPath == "" {
		apiPath = "/"
	}
	b.WriteString(apiPath)
	b.WriteString("; HttpOnly")
	if u := st.Context().Request; u != nil && u.OriginalUrl != nil && (u.OriginalUrl.Scheme == "https" || u.OriginalUrl.Scheme == "wss") {
		b.WriteString("; Secure")
	}
	st.SetResponseHeader("Set-Cookie", b.String())
}

// memberByToken is the pool member the cookie names and its priority
// group's index, or nil.
func (b *Backend) memberByToken(tok string) (*poolMember, int) {
	for g := range b.pool {
		for i := range b.pool[g] {
			if b.pool[g][i].token == tok {
				return &b.pool[g][i], g
			}
		}
	}
	return nil, 0
}
