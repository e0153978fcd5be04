package csharp

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding.UTF32 (little-endian, as .NET's) and Encoding.BigEndianUnicode
// (UTF-16 big-endian), which APIM's table of allowed types lists. Bytes
// that are not a code point decode to U+FFFD, as .NET's replacement
// fallback gives, a trailing partial unit one U+FFFD.

// encodeWide is GetBytes of the two (ok false: another encoding).
func encodeWide(enc any, s string) ([]byte, bool) {
	switch enc {
	case "UTF32":
		b := make([]byte, 0, 4*utf8.RuneCountInString(s))
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
		return b, true
	case "BigEndianUnicode":
		u := utf16.Encode([]rune(s))
		b := make([]byte, 0, 2*len(u))
		for _, c := range u {
			b = append(b, byte(c>>8), byte(c))
		}
		return b, true
	}
	return nil, false
}

// decodeWide is GetString of the two (ok false: another encoding).
func decodeWide(enc any, b []byte) (string, bool) {
	switch enc {
	case "UTF32":
		var sb strings.Builder
		for len(b) >= 4 {
			r := rune(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
			b = b[4:]
		}
		if len(b) > 0 {
			sb.WriteRune(utf8.RuneError)
		}
		return sb.String(), true
	case "BigEndianUnicode":
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		s := string(utf16.Decode(u))
		if len(b)%2 == 1 {
			s += string(utf8.RuneError)
		}
		return s, true
	}
	return "", false
}

// asciiBytes is Encoding.ASCII.GetBytes: .NET's ASCIIEncoding writes '?'
// (its replacement fallback) for every character above 0x7F, once for a
// surrogate pair (one rune here).
func asciiBytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r >= 0x80 {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// asciiString is Encoding.ASCII.GetString: a byte above 0x7F is '?'.
func asciiString(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 0x80 {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}
