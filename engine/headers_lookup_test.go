package engine

import "testing"

// TestHeadersLookup: GetValueOrDefault and ContainsKey find a header
// whatever the case its name is written in, as a name canonicalised
// first finds it (lookup tries the name as written first).
func TestHeadersLookup(t *testing.T) {
	h := Headers{"X-Tenant": {"acme"}, "Accept": {"a", "b"}, "X_odd": {"u"}, "Bad Name": {"sp"}}
	for _, tc := range []struct {
		name, want string
		found      bool
	}{
		{"X-Tenant", "acme", true},
		{"x-tenant", "acme", true},
		{"X-TENANT", "acme", true},
		{"Accept", "a,b", true},
		{"accept", "a,b", true},
		{"x_odd", "u", true},
		{"Bad Name", "sp", true}, // not a token: CanonicalMIMEHeaderKey leaves it as it is
		{"bad name", "-", false},
		{"X-Other", "-", false},
		{"x-other", "-", false},
		{"", "-", false},
	} {
		if got := h.GetValueOrDefault(tc.name, "-"); got != tc.want {
			t.Errorf("GetValueOrDefault(%q) = %q; want %q", tc.name, got, tc.want)
		}
		if got := h.ContainsKey(tc.name); got != tc.found {
			t.Errorf("ContainsKey(%q) = %v; want %v", tc.name, got, tc.found)
		}
	}
}
