// Package ascii has the fast paths the expression languages take over
// text that is ASCII, as request bodies (JSON, forms) mostly are.
package ascii

import "unsafe"

// Prefix returns the length of s's leading run of ASCII bytes, looking at
// sixty-four bytes at a time: a body's length in characters (expr's len, C#'s
// String.Length) is then its length in bytes up to the first other byte,
// where the full decoding takes over. utf8.RuneCountInString decodes every
// byte: it was 14% of the CPU of a REST request whose policy took the
// length of a 16 KiB body (bench/apis/rest-read); BenchmarkRuneCount16K
// has the two side by side.
//
// The words are aligned loads through unsafe.Pointer inside the bounds the
// loop condition proves, so the loop carries no bounds checks: with
// binary.LittleEndian over sixteen-byte steps it was about 30 instructions
// per 16 bytes (31k of a 16 KiB body), then 11 per 32 bytes (5.7k), now
// 15 per 64 bytes (3.9k).
func Prefix(s string) int {
	const high = 0x8080808080808080
	p := unsafe.Pointer(unsafe.StringData(s))
	i := 0
	// Bytes one by one up to an 8-byte boundary, so the words below are
	// aligned loads on every architecture.
	for ; i < len(s) && (uintptr(p)+uintptr(i))&7 != 0; i++ {
		if s[i] >= 0x80 {
			return i
		}
	}
	for ; i+64 <= len(s); i += 64 {
		// A read-only view: loaded, never written; i+64 <= len(s).
		q := unsafe.Add(p, i)
		w := *(*uint64)(q) | *(*uint64)(unsafe.Add(q, 8)) |
			*(*uint64)(unsafe.Add(q, 16)) | *(*uint64)(unsafe.Add(q, 24)) |
			*(*uint64)(unsafe.Add(q, 32)) | *(*uint64)(unsafe.Add(q, 40)) |
			*(*uint64)(unsafe.Add(q, 48)) | *(*uint64)(unsafe.Add(q, 56))
		if w&high != 0 {
			break
		}
	}
	for ; i < len(s) && s[i] < 0x80; i++ {
	}
	return i
}
