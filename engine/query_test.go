package engine

import (
	"net/url"
	"reflect"
	"testing"
)

// parseQuery and encodeQuery agree with net/url on every input.
func TestQueryMatchesNetURL(t *testing.T) {
	for _, raw := range []string{
		"", "a=1", "a=1&b=2", "b=2&a=1&a=3", "a", "a=", "=x", "a=1&&b=2", "a%20b=c+d", "x=%zz&y=1",
		"a=1;b=2&c=3", "hub=chat&asrs.op=%2Fchat&negotiateVersion=1&asrs_request_id=ftgdb1cBAAA%3D",
		"k=v1&k=v2&k=v3", "é=ü&%C3%A9=2",
	} {
		want, _ := url.ParseQuery(raw)
		got := parseQuery(raw)
		if len(want) == 0 && len(got) == 0 {
			continue
		}
		if !reflect.DeepEqual(url.Values(got), want) {
			t.Errorf("parseQuery(%q) = %v, want %v", raw, got, want)
		}
		wantEnc := want.Encode()
		if wantEnc != "" {
			wantEnc = "?" + wantEnc
		}
		if enc := encodeQuery(got); enc != wantEnc {
			t.Errorf("encodeQuery(%v) = %q, want %q", got, enc, wantEnc)
		}
	}
	// Appending to one key must not clobber another's value.
	q := parseQuery("a=1&b=2")
	q["a"] = append(q["a"], "x")
	if q["b"][0] != "2" {
		t.Errorf("append to a changed b: %v", q)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a%zz=1", "k=v&k=w", ";", "&&="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, _ := url.ParseQuery(raw)
		got := parseQuery(raw)
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(url.Values(got), want) {
			t.Fatalf("parseQuery(%q) = %v, want %v", raw, got, want)
		}
	})
}
