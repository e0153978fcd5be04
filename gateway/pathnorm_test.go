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
