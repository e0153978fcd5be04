package csharp

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Small members APIM's table of allowed types lists: string.CompareOrdinal,
// CompareTo on int, bool and Guid, char.IsSymbol, Encoding.GetByteCount and
// GetString(bytes, index, count), WebUtility.HtmlDecode.

// compareOrdinal is string.CompareOrdinal: the difference of the first
// UTF-16 code units that differ, else of the lengths; null sorts first.
func compareOrdinal(a, b any) int {
	s, sok := a.(string)
	t, tok := b.(string)
	switch {
	case !sok && !tok:
		return 0
	case !sok:
		return -1
	case !tok:
		return 1
	}
	u, v := utf16.Encode([]rune(s)), utf16.Encode([]rune(t))
	for i := 0; i < len(u) && i < len(v); i++ {
		if u[i] != v[i] {
			return int(u[i]) - int(v[i])
		}
	}
	return len(u) - len(v)
}

// htmlDecode is WebUtility.HtmlDecode: each "&name;", "&#n;" and "&#xh;"
// decoded, anything else (no ';', an unknown name, a number past U+10FFFF)
// kept as written. The names are Go's html package's (HTML5's, a superset
// of the HTML 4 names .NET's table has).
func htmlDecode(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexAny(s[i+1:], ";&")
		if end < 0 || s[i+1+end] != ';' {
			b.WriteByte('&')
			continue
		}
		ent := s[i+1 : i+1+end]
		if r, ok := htmlEntity(ent); ok {
			b.WriteString(r)
			i += end + 1
			continue
		}
		b.WriteByte('&')
	}
	return b.String()
}

func htmlEntity(ent string) (string, bool) {
	if strings.HasPrefix(ent, "#") {
		num, base := ent[1:], 10
		if strings.HasPrefix(num, "x") || strings.HasPrefix(num, "X") {
			num, base = num[1:], 16
		}
		if num == "" || num[0] == '+' || num[0] == '-' {
			return "", false
		}
		n, err := strconv.ParseUint(num, base, 32)
		if err != nil || n > unicode.MaxRune {
			return "", false
		}
		if n >= 0xD800 && n <= 0xDFFF { // a lone surrogate: .NET keeps the char, a string here cannot hold it
			return string(utf8.RuneError), true
		}
		return string(rune(n)), true
	}
	if ent == "" {
		return "", false
	}
	in := "&" + ent + ";"
	if out := html.UnescapeString(in); out != in && !strings.HasSuffix(out, ";") {
		return out, true
	}
	return "", false
}

func registerAllowedSmall() {
	static("string", "CompareOrdinal", ts(tString, tString), tInt, func(a []any) (any, error) { return compareOrdinal(a[0], a[1]), nil }, nil)
	method(KInt, "CompareTo", ts(tLong), tInt, func(a []any) (any, error) {
		c, err := compareNET(a[0], a[1])
		return c, err
	}, nil)
	method(KBool, "CompareTo", ts(tBool), tInt, func(a []any) (any, error) {
		x, y := a[0] == true, a[1] == true
		switch {
		case x == y:
			return 0, nil
		case x:
			return 1, nil
		}
		return -1, nil
	}, nil)
	method(KGuid, "CompareTo", ts(tGuid), tInt, func(a []any) (any, error) {
		x, y := a[0].(Guid), a[1].(Guid)
		return bytes.Compare(x[:], y[:]), nil // .NET's field order is the text's
	}, nil)
	static("char", "IsSymbol", ts(tChar), tBool, func(a []any) (any, error) {
		c, _ := a[0].(string)
		r, _ := utf8.DecodeRuneInString(c)
		return c != "" && unicode.IsSymbol(r), nil
	}, nil)
	static("WebUtility", "HtmlDecode", ts(tString), tString, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, nil
		}
		return htmlDecode(s), nil
	}, nil)
	getBytes, getString := methods[KEncoding]["GetBytes"][0], methods[KEncoding]["GetString"][0]
	method(KEncoding, "GetByteCount", ts(tString), tInt, func(a []any) (any, error) {
		b, err := getBytes.run(a)
		if err != nil {
			return nil, err
		}
		return len(b.([]byte)), nil
	}, nil)
	method(KEncoding, "GetString", ts(tBytes, tInt, tInt), tString, func(a []any) (any, error) {
		if a[1] == nil {
			return nil, argNull("bytes")
		}
		b, err := bytesArg(a[1])
		if err != nil {
			return nil, err
		}
		i, n := toInt(a[2]), toInt(a[3])
		switch {
		case i < 0:
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'index')")
		case n < 0:
			return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
		case i > len(b)-n:
			return nil, exc("ArgumentOutOfRangeException", "Index and count must refer to a location within the buffer. (Parameter 'bytes')")
		}
		return getString.run([]any{a[0], b[i : i+n]})
	}, nil)
}
