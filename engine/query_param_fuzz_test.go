package engine

import (
	"slices"
	"strings"
	"testing"
)

// FuzzSetQueryParam: whatever the client's query, setting one parameter
// (override, append or delete) leaves every other parameter's values as
// the client's, in their order, and the parameter's own values what the
// change made; a change that changes nothing leaves the text as it was.
func FuzzSetQueryParam(f *testing.F) {
	for _, s := range []string{"?a=1&b=%2F&a=2", "?sp=%2Ftriggers&flag&x=a%20b", "?", "?&&a", "?a=%zz&a=1", "?i%64=1&id=2", "?a;b=1&c=2"} {
		f.Add(s, "a", "v/1", uint8(0))
	}
	f.Fuzz(func(t *testing.T, raw, name, val string, action uint8) {
		if !strings.HasPrefix(raw, "?") || strings.ContainsAny(raw, "# ") || name == "" {
			return
		}
		u := &Url{QueryString: raw, Query: parseQuery(raw[1:], nil)}
		orig := parseQuery(raw[1:], nil)
		q := u.MutableQuery()
		before := q[name]
		switch action % 3 {
		case 0:
			q[name] = []string{val}
		case 1:
			q[name] = append(q[name][:len(q[name]):len(q[name])], val)
		default:
			delete(q, name)
		}
		want := slices.Clone(q[name])
		u.SetQueryParamIn(q, name, before, nil)
		got := parseQuery(strings.TrimPrefix(u.QueryString, "?"), nil)
		for k, vs := range orig {
			if k != name && !slices.Equal(got[k], vs) {
				t.Fatalf("%q, %s %q: %q's values %q became %q (%q)", raw, []string{"override", "append", "delete"}[action%3], name, k, vs, got[k], u.QueryString)
			}
		}
		if !slices.Equal(got[name], want) && !(len(got[name]) == 0 && len(want) == 0) {
			t.Fatalf("%q, %s %q: its values %q, want %q (%q)", raw, []string{"override", "append", "delete"}[action%3], name, got[name], want, u.QueryString)
		}
		if slices.Equal(before, want) && u.QueryString != raw {
			t.Fatalf("%q: nothing changed, but the text became %q", raw, u.QueryString)
		}
	})
}
