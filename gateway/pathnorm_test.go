package gateway

import (
	"net/url"
	"strings"
	"testing"
)

func TestNormalizePath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"/", "/", ""},
		{"/a/b", "/a/b", ""},
		{"/a/b/", "/a/b/", ""},
		{"/a/./b", "/a/b", ""},
		{"/a/../b", "/b", ""},
		{"/a/b/..", "/a/", ""},
		{"/a/b/.", "/a/b/", ""},
		{"/a//b", "/a/b", ""},
		{"//a", "/a", ""},
		{"/a/%2e%2E/b", "/b", ""},
		{"/a/.%2e/b", "/b", ""},
		{"/%61%7e", "/a~", ""},
		{"/a%20b", "/a%20b", ""},
		{"/a%3bb", "/a%3Bb", ""},
		{"/a;x/b", "/a;x/b", ""},
		{"/..", "", "climbs above"},
		{"/a/../..", "", "climbs above"},
		{"a", "", "does not start"},
		{"", "", "does not start"},
		{"/a%2Fb", "", "encoded /"},
		{"/a%5cb", "", "encoded /"},
		{"/a\\b", "", "\\"},
		{"/a%00", "", "control"},
		{"/a%1", "", "malformed"},
		{"/a%G0", "", "malformed"},
		{"/..;x/a", "", "parameters"},
		{"/a/.;/b", "", "parameters"},
	} {
		got, err := normalizePath(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("normalizePath(%q) = %q, %v; want error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normalizePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzNormalizePath: a normalised path is absolute, holds no dot segment,
// no empty segment and no encoded separator, decodes to as many segments
// as it has, and normalises to itself.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/../b", "/a/%2e%2e/b", "/a%2Fb", "//a//b/", "/a/./b/.", "/..;/", "/%7e%41", "/a/b", "/a/b/", "/.a", "/a/.b/", "/a;b/c", "/a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := normalizePath(in)
		if full, ferr := normalizePathFull(in); full != out || (ferr == nil) != (err == nil) {
			t.Fatalf("%q: the shortcut gives %q, %v; the full normalisation %q, %v", in, out, err, full, ferr)
		}
		if err != nil {
			return
		}
		if !strings.HasPrefix(out, "/") || strings.Contains(out, "//") {
			t.Fatalf("%q -> %q", in, out)
		}
		segs := strings.Split(out[1:], "/")
		for i, s := range segs {
			if s == "." || s == ".." || (s == "" && i != len(segs)-1) {
				t.Fatalf("%q -> %q: segment %q", in, out, s)
			}
			dec, err := url.PathUnescape(s)
			if err != nil || strings.ContainsAny(dec, "/\\") || dec == "." || dec == ".." {
				t.Fatalf("%q -> %q: segment %q decodes to %q (%v)", in, out, s, dec, err)
			}
		}
		again, err := normalizePath(out)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
		}
	})
}

// backendPathSlow is what backendPath does with a path plainNormalPath
// does not let through: escape, normalise, unescape.
func backendPathSlow(rest string) (string, error) {
	norm, err := normalizePath((&url.URL{Path: rest}).EscapedPath())
	if err != nil {
		return "", err
	}
	return url.PathUnescape(norm)
}

// TestPlainNormalPath: a path the shortcut lets through comes out of the
// escape, normalisation and unescape unchanged; the others are left to them.
func TestPlainNormalPath(t *testing.T) {
	for _, tc := range []struct {
		in    string
		plain bool
	}{
		{"/", true}, {"/0", true}, {"/orders/42", true}, {"/a-b_c~d/e.f", true}, {"/a/", true},
		{"", false}, {"a/b", false}, {"/a/./b", false}, {"/a/../b", false}, {"/a//b", false}, {"/.", false},
		{"/a%2Fb", false}, {"/a b", false}, {"/a;x", false}, {"/a:b", false}, {"/ä", false}, {"/a\\b", false}, {"/a?b", false},
	} {
		if got := plainNormalPath(tc.in); got != tc.plain {
			t.Errorf("plainNormalPath(%q) = %v, want %v", tc.in, got, tc.plain)
		}
		if tc.plain {
			if out, err := backendPathSlow(tc.in); err != nil || out != tc.in {
				t.Errorf("%q: the slow path gives %q, %v", tc.in, out, err)
			}
		}
	}
}

func FuzzPlainNormalPath(f *testing.F) {
	for _, s := range []string{"/", "/orders/42", "/a/./b", "/a//b", "/a%2Fb", "/a.b/..c", "/~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainNormalPath(s) {
			return
		}
		if out, err := backendPathSlow(s); err != nil || out != s {
			t.Fatalf("%q: the slow path gives %q, %v", s, out, err)
		}
	})
}
