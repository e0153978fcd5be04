package engine

import "testing"

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
