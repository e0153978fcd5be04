package gateway

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzQueryValue: the version a query names is what net/url reads from
// it (the first value of the parameter), for every query net/url reads
// whole; a value that does not decode is never taken for another.
func FuzzQueryValue(f *testing.F) {
	for _, s := range [][2]string{{"api-version=v2&x=1", "api-version"}, {"x=1&api%2Dversion=2024-01-01", "api-version"},
		{"api-version=a+b&api-version=c", "api-version"}, {"api-version=%zz", "api-version"}, {"v", "v"}, {"=v&v=", "v"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, raw, name string) {
		got := queryValue(raw, name)
		if strings.Contains(raw, ";") {
			return // net/url refuses the whole query
		}
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return // net/url skipped a pair it could not decode
		}
		if want := vals.Get(name); got != want {
			t.Fatalf("queryValue(%q, %q) = %q, net/url: %q", raw, name, got, want)
		}
	})
}
