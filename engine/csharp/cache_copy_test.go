package csharp

import (
	"testing"
	"unsafe"
)

// TestCachesKeepCopies: the process-wide caches an expression fills (the
// compiled Regex cache, the JSONPath cache, the time zone cache) outlive the request, whose
// strings may be views of a buffer reused after it (a request body in a
// pooled buffer, gateway/reqpool.go): each keeps its own copy of the key,
// so a later change of the buffer changes nothing cached.
func TestCachesKeepCopies(t *testing.T) {
	view := func(s string) ([]byte, string) {
		b := []byte(s)
		return b, unsafe.String(&b[0], len(b))
	}
	scribble := func(b []byte) {
		for i := range b {
			b[i] = 'z'
		}
	}

	const pat = `^cache-copy-(\d+)$`
	b, p := view(pat)
	rx, err := getRegex(p, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	scribble(b)
	if rx.pattern != pat {
		t.Errorf("compiled regex's pattern after the buffer changed: %q", rx.pattern)
	}
	again, err := getRegex(pat, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if again != rx {
		t.Errorf("the cache lost the pattern after the buffer changed")
	}

	const path = "$.cacheCopy.items[0].name"
	b, p = view(path)
	jp, err := compilePath(p)
	if err != nil {
		t.Fatal(err)
	}
	want := jp.String()
	scribble(b)
	if jp2, err := compilePath(path); err != nil || jp2 != jp {
		t.Errorf("the JSONPath cache lost the path after the buffer changed: %v", err)
	}
	if got := jp.String(); got != want {
		t.Errorf("compiled path after the buffer changed: %q", got)
	}

	const id = "Europe/Lisbon"
	b, p = view(id)
	z, err := findZone(p)
	if err != nil {
		t.Fatal(err)
	}
	scribble(b)
	if z.id != id {
		t.Errorf("cached zone's id after the buffer changed: %q", z.id)
	}
	if z2, err := findZone(id); err != nil || z2 != z {
		t.Errorf("the cache lost the zone after the buffer changed: %v, %v", z2, err)
	}
}
