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

// TestMutableQueryCopies: the first MutableQuery of a Url whose query is
// shared with OriginalUrl returns a copy (maps.Clone's) with the same
// parameters, which a change leaves the shared one without; later calls
// return that copy; a Url without a query gets an empty map.
func TestMutableQueryCopies(t *testing.T) {
	for _, raw := range []string{"a=1", "a=1&b=2&a=3", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8", "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10"} {
		shared := parseQuery(raw, nil)
		want := parseQuery(raw, nil)
		u := &Url{QueryString: "?" + raw, Query: shared, sharedQuery: true}
		q := u.MutableQuery()
		if len(q) != len(want) {
			t.Fatalf("%q: %d parameters, want %d", raw, len(q), len(want))
		}
		for k, vs := range want {
			if !slices.Equal(q[k], vs) {
				t.Errorf("%q: %s is %q, want %q", raw, k, q[k], vs)
			}
		}
		q["a"] = []string{"changed"}
		q["new"] = []string{"x"}
		delete(q, "b")
		for k, vs := range want {
			if !slices.Equal(shared[k], vs) {
				t.Errorf("%q: the shared query's %s became %q", raw, k, shared[k])
			}
		}
		if _, ok := shared["new"]; ok || len(shared) != len(want) {
			t.Errorf("%q: the shared query changed: %q", raw, shared)
		}
		if q2 := u.MutableQuery(); q2["new"] == nil || q2["a"][0] != "changed" {
			t.Errorf("%q: a second MutableQuery is not the first's copy: %q", raw, q2)
		}
	}
	u := &Url{}
	if q := u.MutableQuery(); q == nil || len(q) != 0 {
		t.Errorf("no query: %v", q)
	}
}
