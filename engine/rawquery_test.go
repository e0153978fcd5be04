package engine

import (
	"net/url"
	"testing"
)

// TestRawQueryGet: the query's text looked through gives what the parsed
// map holds, or says it cannot tell.
func TestRawQueryGet(t *testing.T) {
	for _, c := range []struct {
		qs, name, v string
		n           int
		ok          bool
	}{
		{"?mode=echo", "mode", "echo", 1, true},
		{"?mode=echo", "tenant", "", 0, true},
		{"?mode=echo&mode=x", "mode", "x", 2, true},
		{"?mode=a%20b", "mode", "", 0, false},
		{"?m%6Fde=echo", "mode", "", 0, false},
		{"?mode=a+b", "mode", "", 0, false},
		{"?mode=echo;x&b", "mode", "", 0, true},
		{"?&&mode", "mode", "", 1, true},
		{"", "mode", "", 0, true},
	} {
		v, n, ok := rawQueryGet(c.qs, c.name)
		if v != c.v || n != c.n || ok != c.ok {
			t.Errorf("%q %q: %q %d %v, want %q %d %v", c.qs, c.name, v, n, ok, c.v, c.n, c.ok)
		}
	}
}

// FuzzRawQueryGet holds rawQueryGet to parseQuery's map.
func FuzzRawQueryGet(f *testing.F) {
	f.Add("mode=echo&mode=x;&a%20=1", "mode")
	f.Add("a=%zz&a=1", "a")
	f.Fuzz(func(t *testing.T, raw, name string) {
		v, n, ok := rawQueryGet("?"+raw, name)
		if !ok {
			return
		}
		vals := parseQuery(raw, nil)[name]
		if len(vals) != n || n > 0 && vals[n-1] != v {
			t.Errorf("%q %q: %q %d, the map %q", raw, name, v, n, vals)
		}
	})
}

// TestQueryParsedAlone: a Url parsed on its own (MutableQuery,
// LoadedQuery) before the State parsed the request's query has a map of
// its own, not OriginalUrl's: a change to it is made in place, and
// OriginalUrl keeps the client's.
func TestQueryParsedAlone(t *testing.T) {
	for _, how := range []string{"MutableQuery", "LoadedQuery"} {
		s := AcquireState(nil)
		u := &url.URL{Path: "/p", RawQuery: "a=1"}
		s.SetRequestURI("GET", "http", "h", u, "/p?a=1", nil, "")
		r := s.Context().Request
		if how == "MutableQuery" {
			r.Url.MutableQuery()["a"] = []string{"2"}
		} else {
			r.Url.LoadedQuery()["a"] = []string{"2"} // as a policy must not, to see whose map it is
		}
		if _, ok := r.Url.TextBefore("a"); ok {
			t.Errorf("%s: the Url's own map taken for OriginalUrl's", how)
		}
		s.SyncQuery()
		if got := r.OriginalUrl.Query["a"]; len(got) != 1 || got[0] != "1" {
			t.Errorf("%s: OriginalUrl.Query[a] = %q, want [1]", how, got)
		}
		s.Release()
	}
}
