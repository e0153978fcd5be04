package csharp

import (
	"strings"
	"testing"
)

// FuzzUri: Uri.TryCreate's parse (createURI) and IsWellFormedUriString
// (wellFormedURI) never panic; a well-formed string is well formed as
// RelativeOrAbsolute too, never both Absolute and Relative; what TryCreate
// makes is absolute exactly when it has a scheme, and an absolute one's
// Segments put its path back together.
//
//	go test -run '^$' -fuzz FuzzUri -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzUri(f *testing.F) {
	for _, s := range []string{"http://www.contoso.com/path???/file name", `c:\\directory\filename`, "file://c:/directory/filename",
		`http:\\host/path/file`, "www.contoso.com/path/file", "https://h/a/b.html?x=1#f", "/a%2Fb", "%", "#a#", "mailto:a@b", "http:/h", "", "//h/p", "http://[::1]:8080/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		abs, rel, either := wellFormedURI(s, uriAbsolute), wellFormedURI(s, uriRelative), wellFormedURI(s, uriRelOrAbs)
		if abs && rel || (abs || rel) != either {
			t.Fatalf("%q: absolute %v relative %v either %v", s, abs, rel, either)
		}
		for k := uriRelOrAbs; k <= uriRelative; k++ {
			u, err := createURI(s, k)
			if err != nil {
				if e, ok := err.(*Exception); !ok || e.Type != "UriFormatException" {
					t.Fatalf("%q %d: %v", s, k, err)
				}
				continue
			}
			if k == uriAbsolute && u.Scheme == "" || k == uriRelative && u.Scheme != "" {
				t.Fatalf("%q %d: scheme %q", s, k, u.Scheme)
			}
			if u.Scheme != "" {
				segs := uriSegments(u)
				var b strings.Builder
				for _, x := range segs {
					b.WriteString(x.(string))
				}
				if p := u.EscapedPath(); b.String() != p && !(p == "" && b.String() == "/") {
					t.Fatalf("%q: segments %q, path %q", s, segs, p)
				}
			}
		}
	})
}
