package upstream

import (
	"net/url"
	"testing"
)

// appendRequestURI writes what url.URL.RequestURI returns, for every kind
// of URL a request may carry: paths that need escaping or keep their raw
// form, an empty path, "*", opaque forms (with "//" the scheme comes
// first), an empty query forced by a lone "?".
func TestAppendRequestURI(t *testing.T) {
	urls := []*url.URL{
		{Path: "/a/b"},
		{Path: "/a/b", RawQuery: "x=1&y=%20"},
		{Path: ""},
		{Path: "", RawQuery: "q"},
		{Path: "/a b/ü"},
		{Path: "/a/b c", RawPath: "/a/b%20c"},
		{Path: "/a/b c", RawPath: "/a/b%ZZ"}, // a raw path that does not match: escaped again
		{Path: "*"},
		{Path: "/x", ForceQuery: true},
		{Scheme: "http", Opaque: "//host/p", RawQuery: "a"},
		{Scheme: "http", Opaque: "/p:q"},
	}
	for _, s := range []string{"http://h/p?q", "http://h", "http://h/%2F/x?", "http://h/a;b?c=%zz", "/rel?x"} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		urls = append(urls, u)
	}
	for _, u := range urls {
		if got, want := string(appendRequestURI([]byte("GET "), u)), "GET "+u.RequestURI(); got != want {
			t.Errorf("%#v: %q, want %q", u, got, want)
		}
	}
}

func FuzzAppendRequestURI(f *testing.F) {
	for _, s := range []string{"http://h/p?q", "/a b", "*", "http:opaque", "http://h/%2F?", "//x//y"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, force bool) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		u.ForceQuery = u.ForceQuery || force
		if got, want := string(appendRequestURI(nil, u)), u.RequestURI(); got != want {
			t.Fatalf("%q: %q, want %q", s, got, want)
		}
	})
}
