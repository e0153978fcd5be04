package gateway

import (
	"net/http"
	"strings"
	"testing"

	"tollgate/engine"
)

// FuzzAffinityCookie: whatever Cookie headers a client sends, reading the
// pool's session cookie never panics, and what it accepts is exactly a value
// tollgate writes (setAffinityCookie), which it reads back unchanged.
func FuzzAffinityCookie(f *testing.F) {
	for _, s := range []string{"", "SessionId=", "a=b; SessionId=AAAAAAAAAAAAAAAAAAAAAA.0123456789abcdef", `SessionId="AAAAAAAAAAAAAAAAAAAAAA.0123456789abcdef"`,
		"SessionId=AAAAAAAAAAAAAAAAAAAAAA.0123456789ABCDEF", ";;=;SessionId", "SessionId=" + strings.Repeat("x", 5000)} {
		f.Add(s)
	}
	a := &poolAffinity{cookie: "SessionId"}
	f.Fuzz(func(t *testing.T, header string) {
		st := &engine.State{}
		st.Context().Request = &engine.Request{Headers: engine.Headers{"Cookie": {header}}}
		session, member, ok := affinityCookie(st, a.cookie)
		if !ok {
			return
		}
		if len(session) != affinitySessionLen || len(member) != affinityMemberLen || !validBase64URL(session) || !validHex(member) {
			t.Fatalf("accepted %q.%q from %q", session, member, header)
		}
		out := &engine.State{}
		out.Context().Request = &engine.Request{OriginalUrl: &engine.Url{Scheme: "https"}}
		setAffinityCookie(out, a, "/api", session, member)
		set := out.ResponseHeaders()["Set-Cookie"][0]
		if !strings.HasSuffix(set, "; Path=/api; HttpOnly; Secure") {
			t.Fatalf("Set-Cookie %q", set)
		}
		c, err := http.ParseSetCookie(set)
		if err != nil || c.Name != "SessionId" {
			t.Fatalf("Set-Cookie %q does not parse: %v", set, err)
		}
		back := &engine.State{}
		back.Context().Request = &engine.Request{Headers: engine.Headers{"Cookie": {c.Name + "=" + c.Value}}}
		if s2, m2, ok := affinityCookie(back, a.cookie); !ok || s2 != session || m2 != member {
			t.Fatalf("round trip of %q: %q %q %v", set, s2, m2, ok)
		}
	})
}

// TestAffinityCookiePathInjection: an API path may hold ';' (a valid URL
// path character); the Set-Cookie's Path ends before it, so the path adds
// no attribute (Domain, SameSite, …) to the pool's cookie.
func TestAffinityCookiePathInjection(t *testing.T) {
	for _, tc := range []struct{ apiPath, want string }{
		{"/a;Domain=evil.example", "/a"},
		{";Domain=evil.example", "/"},
		{"/a/b", "/a/b"},
		{"", "/"},
	} {
		st := &engine.State{}
		st.Context().Request = &engine.Request{}
		setAffinityCookie(st, &poolAffinity{cookie: "SessionId"}, tc.apiPath, "AAAAAAAAAAAAAAAAAAAAAA", "0123456789abcdef")
		set := st.ResponseHeaders()["Set-Cookie"][0]
		c, err := http.ParseSetCookie(set)
		if err != nil || c.Path != tc.want || c.Domain != "" || strings.Count(set, ";") != 2 {
			t.Errorf("API path %q: Set-Cookie %q (path %q, domain %q, %v)", tc.apiPath, set, c.Path, c.Domain, err)
		}
	}
}
