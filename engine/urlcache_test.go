package engine

import (
	"net/url"
	"testing"
)

// ParseURL parses as url.Parse does, keeps what it parsed (one parse per
// distinct string), and keeps nothing for an error.
func TestParseURL(t *testing.T) {
	for _, s := range []string{"http://a.example:8080/base?x=1", "https://b.example/", "ws://c/%2Fp"} {
		want, _ := url.Parse(s)
		u1, err := ParseURL(s)
		if err != nil || *u1 != *want {
			t.Fatalf("%s: %+v %v; want %+v", s, u1, err, want)
		}
		if u2, _ := ParseURL(s); u2 != u1 {
			t.Errorf("%s parsed twice", s)
		}
	}
	if _, err := ParseURL("http://bad host/"); err == nil {
		t.Fatal("a bad URL parsed")
	}
	if _, ok := parsedURLs.Get("http://bad host/"); ok {
		t.Error("a bad URL was kept")
	}
}
