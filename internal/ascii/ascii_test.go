package ascii

import (
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"
)

func TestPrefix(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"a", 1},
		{strings.Repeat("a", 15), 15},
		{strings.Repeat("a", 16), 16},
		{strings.Repeat("a", 17), 17},
		{strings.Repeat("a", 40) + "é" + "abc", 40},
		{strings.Repeat("a", 16) + "\x80", 16},
		{"\xff" + strings.Repeat("a", 40), 0},
		{strings.Repeat("a", 31) + "\x7f\x80", 32},
	} {
		if got := Prefix(tc.s); got != tc.want {
			t.Errorf("Prefix(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestPrefixEveryAlignment starts the string at each of eight offsets of
// one buffer (the byte-by-byte lead-in to an 8-byte boundary, then the
// 32-byte words) and puts the first non-ASCII byte at every position, or
// none: Prefix must stop exactly where a byte-by-byte scan stops.
func TestPrefixEveryAlignment(t *testing.T) {
	buf := []byte(strings.Repeat("a", 8+200))
	for off := 0; off < 8; off++ {
		for n := 0; n <= 200; n++ {
			for at := -1; at < n; at++ {
				b := append([]byte(nil), buf...)
				if at >= 0 {
					b[off+at] = 0x80 | byte(at)
				}
				// A view of b, not a copy: a copy would start aligned.
				s := unsafe.String(&b[off], n)
				want := 0
				for want < len(s) && s[want] < 0x80 {
					want++
				}
				if got := Prefix(s); got != want {
					t.Fatalf("offset %d, length %d, high byte at %d: Prefix = %d, want %d", off, n, at, got, want)
				}
			}
		}
	}
}

// FuzzPrefix: the prefix is ASCII and ends at the first other byte, so
// counting its bytes and decoding the rest gives utf8's count.
func FuzzPrefix(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("x", 33) + "ü", "\xed\xa0\x80abc", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Prefix(s)
		if p < 0 || p > len(s) {
			t.Fatalf("Prefix(%q) = %d", s, p)
		}
		for i := 0; i < p; i++ {
			if s[i] >= 0x80 {
				t.Fatalf("Prefix(%q) = %d past byte %d (%#x)", s, p, i, s[i])
			}
		}
		if p < len(s) && s[p] < 0x80 {
			t.Fatalf("Prefix(%q) = %d stops before an ASCII byte", s, p)
		}
		if got, want := p+utf8.RuneCountInString(s[p:]), utf8.RuneCountInString(s); got != want {
			t.Fatalf("count %d, want %d", got, want)
		}
	})
}

func BenchmarkRuneCount16K(b *testing.B) {
	s := strings.Repeat(`{"k":"value"},`, 16<<10/14)
	b.SetBytes(int64(len(s)))
	b.Run("utf8", func(b *testing.B) {
		for b.Loop() {
			_ = utf8.RuneCountInString(s)
		}
	})
	b.Run("prefix", func(b *testing.B) {
		for b.Loop() {
			p := Prefix(s)
			_ = p + utf8.RuneCountInString(s[p:])
		}
	})
}
