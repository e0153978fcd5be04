// Package ascii has the fast paths the expression languages take over
// text that is ASCII, as request bodies (JSON, forms) mostly are.
package ascii

import (
	"encoding/binary"
	"unsafe"
)

// Prefix returns the length of s's leading run of ASCII bytes, looking at
// sixteen bytes at a time: a body's length in characters (expr's len, C#'s
// String.Length) is then its length in bytes up to the first other byte,
// where the full decoding takes over. utf8.RuneCountInString decodes every
// byte: it was 14% of the CPU of a REST request whose policy took the
// length of a 16 KiB body (bench/apis/rest-read); BenchmarkRuneCount16K
// has the two side by side.
func Prefix(s string) int {
	// A read-only view of s's bytes: loaded eight at a time, never written.
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	const high = 0x8080808080808080
	i := 0
	for ; i+16 <= len(b); i += 16 {
		if (binary.LittleEndian.Uint64(b[i:])|binary.LittleEndian.Uint64(b[i+8:]))&high != 0 {
			break
		}
	}
	for ; i < len(b) && b[i] < 0x80; i++ {
	}
	return i
}
