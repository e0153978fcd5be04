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
	case "UTF32BE":
		b := make([]byte, 0, 4*utf8.RuneCountInString(s))
		for _, r := range s {
			b = append(b, byte(r>>24), byte(r>>16), byte(r>>8), byte(r))
		}
		return b, true
	case "Latin1":
		return latin1Bytes(s), true
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
	case "Latin1": // each byte is the code point of the same number
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	case "UTF32", "UTF32BE":
		var sb strings.Builder
		for len(b) >= 4 {
			r := rune(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			if enc == "UTF32BE" {
				r = rune(uint32(b[3]) | uint32(b[2])<<8 | uint32(b[1])<<16 | uint32(b[0])<<24)
			}
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

// latin1Bytes is Encoding.Latin1.GetBytes: a character above U+00FF is
// '?' (the replacement fallback), once for a surrogate pair.
func latin1Bytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return b
}

// Encoding.GetEncoding(name) and GetEncoding(codepage): the encodings .NET
// (Core, 5 and later) has without a registered provider, by their names
// (ignoring case) and code pages. Another code page is .NET's
// NotSupportedException ("No data is available for encoding 1252."),
// another name its ArgumentException: the Windows code pages come with
// System.Text.Encoding.CodePages, which tollgate has not. UTF-7 is
// refused too (.NET 5 and later disable it).
var encodingNames = map[string]string{
	"utf-8": "UTF8", "unicode-1-1-utf-8": "UTF8", "unicode-2-0-utf-8": "UTF8", "x-unicode-1-1-utf-8": "UTF8", "x-unicode-2-0-utf-8": "UTF8",
	"utf-16": "Unicode", "utf-16le": "Unicode", "unicode": "Unicode", "ucs-2": "Unicode", "iso-10646-ucs-2": "Unicode",
	"utf-16be": "BigEndianUnicode", "unicodefffe": "BigEndianUnicode",
	"utf-32": "UTF32", "utf-32le": "UTF32", "utf-32be": "UTF32BE",
	"us-ascii": "ASCII", "ascii": "ASCII", "us": "ASCII", "ansi_x3.4-1968": "ASCII", "ansi_x3.4-1986": "ASCII", "cp367": "ASCII",
	"csascii": "ASCII", "ibm367": "ASCII", "iso-ir-6": "ASCII", "iso646-us": "ASCII", "iso_646.irv:1991": "ASCII",
	"iso-8859-1": "Latin1", "latin1": "Latin1", "l1": "Latin1", "cp819": "Latin1", "csisolatin1": "Latin1", "ibm819": "Latin1",
	"iso-ir-100": "Latin1", "iso8859-1": "Latin1", "iso_8859-1": "Latin1", "iso_8859-1:1987": "Latin1",
}

var encodingPages = map[int]string{0: "UTF8", 65001: "UTF8", 1200: "Unicode", 1201: "BigEndianUnicode", 12000: "UTF32",
	12001: "UTF32BE", 20127: "ASCII", 28591: "Latin1"}

func getEncodingByName(name any) (any, error) {
	s, ok := name.(string)
	if !ok {
		return nil, argNull("name")
	}
	if e, ok := encodingNames[strings.ToLower(s)]; ok {
		return e, nil
	}
	return nil, exc("ArgumentException", "'%s' is not a supported encoding name. For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method. (Parameter 'name')", s)
}

func getEncodingByPage(cp int) (any, error) {
	if e, ok := encodingPages[cp]; ok {
		return e, nil
	}
	switch {
	case cp < 0 || cp > 65535:
		return nil, exc("ArgumentOutOfRangeException", "Valid values are between 0 and 65535, inclusive. (Parameter 'codepage')")
	case cp == 1 || cp == 2 || cp == 3 || cp == 42: // CP_MACCP, CP_THREAD_ACP, CP_SYMBOL...: no fixed encoding
		return nil, exc("ArgumentException", "%d is not a supported code page. (Parameter 'codepage')", cp)
	}
	return nil, exc("NotSupportedException", "No data is available for encoding %d. For information on defining a custom encoding, see the documentation for the Encoding.RegisterProvider method.", cp)
}
