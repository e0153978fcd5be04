package gateway

import (
	"strings"
	"testing"
)

// The watcher descends into a workspace's folders as into the apis
// folder's own (watchInto), and nowhere else.
func TestWatchIntoWorkspaces(t *testing.T) {
	for _, c := range []struct {
		at    string // the folder, below the apis folder ("" is the apis folder)
		child string
		want  bool
	}{
		{"", "workspaces", true},
		{"workspaces", "hr", true},
		{"workspaces/hr", "apis", true},
		{"workspaces/hr", "named values", true},
		{"workspaces/hr/apis", "people", true},
		{"workspaces/hr/apis/people", "operations", true},
		{"workspaces/hr/apis/people/operations", "get-person", true},
		{"workspaces/hr/apis/people", "node_modules", false},
		{"workspaces/hr/products/hr-product", "deep", false},
		{"apis/orders", "operations", true},
		{"apis/orders", "other", false},
	} {
		var rel []string
		if c.at != "" {
			rel = strings.Split(c.at, "/")
		}
		if got := watchInto(rel, c.child); got != c.want {
			t.Errorf("watchInto(%q, %q) = %v, want %v", c.at, c.child, got, c.want)
		}
	}
}

// Scopes keep their workspace: an ARM id or a short form.
func TestNormalizeScopeWorkspaces(t *testing.T) {
	for in, want := range map[string]string{
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apis":                        "/apis",
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/products/gold":               "/products/gold",
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/workspaces/hr/products/gold": "/workspaces/hr/products/gold",
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/workspaces/hr/apis":          "/workspaces/hr/apis",
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/workspaces/hr/apis/people":   "/workspaces/hr/apis/people",
		"/workspaces/hr/apis/people/": "/workspaces/hr/apis/people",
		"/workspaces//apis":           "/apis",
		"/workspaces/hr":              "",
	} {
		if got := normalizeScope(in); got != want {
			t.Errorf("normalizeScope(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string][2]string{
		"/apis":                        {"", "/apis"},
		"/workspaces/hr/apis":          {"hr", "/apis"},
		"/workspaces/hr/products/gold": {"hr", "/products/gold"},
	} {
		if ws, rest := scopeWorkspace(in); ws != want[0] || rest != want[1] {
			t.Errorf("scopeWorkspace(%q) = %q, %q, want %q, %q", in, ws, rest, want[0], want[1])
		}
	}
}

// FuzzNormalizeScope: a scope normalizes to "" or a canonical form that
// normalizes to itself and splits into its workspace and the rest.
func FuzzNormalizeScope(f *testing.F) {
	for _, s := range []string{"/apis", "/products/gold", "/workspaces/hr/apis/people", "/subscriptions/0/x/service/s/workspaces/hr/products/p", "//apis//", "/workspaces//apis", "apis/x/y",
		"/subscriptions/0/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s/"} { // master's scope

		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalizeScope(s)
		if n == "" {
			return
		}
		if normalizeScope(n) != n {
			t.Fatalf("normalizeScope(%q) = %q, which normalizes to %q", s, n, normalizeScope(n))
		}
		ws, rest := scopeWorkspace(n)
		if rest != "/apis" && !strings.HasPrefix(rest, "/apis/") && !strings.HasPrefix(rest, "/products/") {
			t.Fatalf("normalizeScope(%q) = %q: rest %q", s, n, rest)
		}
		if strings.Contains(ws, "/") {
			t.Fatalf("normalizeScope(%q) = %q: workspace %q", s, n, ws)
		}
	})
}
