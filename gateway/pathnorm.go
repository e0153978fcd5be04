package gateway

import (
	"errors"
	"net/url"
	"strings"
)

// Path normalisation. Every request path is normalised before it is routed,
// and the normalised path is what policies see and what is forwarded. So a
// path that routes to one API can never reach another API's backend path
// behind the first API's (weaker) policy: "/pub/../priv/x" is "/priv/x",
// routed (and checked) as such.
//
// normalizePath takes the path as the client sent it (escaped) and:
//   - decodes percent-encoded unreserved characters (RFC 3986 6.2.2.2), so
//     "%2e%2e" is "..", and writes other escapes in upper case;
//   - removes dot segments (RFC 3986 5.2.4) and merges repeated slashes,
//     as a backend that merges them (nginx does by default) would see it;
//   - refuses what it cannot normalise safely: a path that does not start
//     with "/", a ".." above the root, an encoded "/" or "\" ("%2F", "%5C"),
//     which backends disagree on, a literal "\", NUL and other control
//     characters, a malformed escape, and a dot segment with parameters
//     ("..;x", which Java backends read as "..").
//
// It returns the escaped normalised path. The caller answers 400 to an error.
func normalizePath(escaped string) (string, error) {
	if escaped == "" || escaped[0] != '/' {
		return "", errPathNotAbsolute
	}
	if isNormalPath(escaped) {
		return escaped, nil // the usual path: nothing to change, nothing to build
	}
	return normalizePathFull(escaped)
}

// normalizePathFull is normalizePath without the shortcut for a path that
// is normal already.
func normalizePathFull(escaped string) (string, error) {
	if escaped == "" || escaped[0] != '/' {
		return "", errPathNotAbsolute
	}
	segs := make([]string, 0, strings.Count(escaped, "/"))
	trailing := false // the result ends with "/"
	for rest := escaped[1:]; ; {
		seg, more, found := strings.Cut(rest, "/")
		seg, err := normalizeSegment(seg)
		if err != nil {
			return "", err
		}
		switch seg {
		case "", ".":
			trailing = true
		case "..":
			if len(segs) == 0 {
				return "", errPathAboveRoot
			}
			segs = segs[:len(segs)-1]
			trailing = true
		default:
			if name, _, ok := strings.Cut(seg, ";"); ok && (name == "." || name == "..") {
				return "", errPathDotParams
			}
			segs = append(segs, seg)
			trailing = false
		}
		if !found {
			break
		}
		rest = more
	}
	var b strings.Builder
	b.Grow(len(escaped))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	if trailing || len(segs) == 0 {
		b.WriteByte('/')
	}
	return b.String(), nil
}

// isNormalPath reports whether normalizePath would return escaped
// unchanged: every segment but the last is non-empty, no segment starts
// with "." (dot segments, "..;x"), and none holds a "%", a "\\" or a
// control character (escapes to decode or refuse). It errs on the side of
// false: normalizePath then does the full work.
func isNormalPath(escaped string) bool {
	for i := 1; i < len(escaped); i++ {
		c := escaped[i]
		switch {
		case c == '%' || c == '\\' || c < 0x20 || c == 0x7f:
			return false
		case c == '.' && escaped[i-1] == '/':
			return false
		case c == '/' && escaped[i-1] == '/':
			return false
		}
	}
	return true
}

var (
	errPathNotAbsolute = errors.New("the path does not start with /")
	errPathAboveRoot   = errors.New("the path climbs above the root with ..")
	errPathEncodedSep  = errors.New("the path holds an encoded / or \\ (%2F, %5C)")
	errPathBackslash   = errors.New("the path holds a \\")
	errPathControl     = errors.New("the path holds a control character")
	errPathBadEscape   = errors.New("the path holds a malformed % escape")
	errPathDotParams   = errors.New("the path holds a dot segment with parameters (..;)")
)

// normalizeSegment decodes the unreserved escapes of one segment and
// upper-cases the others.
func normalizeSegment(seg string) (string, error) {
	if !strings.ContainsAny(seg, "%\\") && !hasControl(seg) {
		return seg, nil
	}
	var b strings.Builder
	b.Grow(len(seg))
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '\\':
			return "", errPathBackslash
		case c < 0x20 || c == 0x7f:
			return "", errPathControl
		case c != '%':
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
			return "", errPathBadEscape
		}
		d := unhex(seg[i+1])<<4 | unhex(seg[i+2])
		i += 2
		switch {
		case d == '/' || d == '\\':
			return "", errPathEncodedSep
		case d < 0x20 || d == 0x7f:
			return "", errPathControl
		case isUnreserved(d):
			b.WriteByte(d)
		default:
			const hexDigits = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hexDigits[d>>4])
			b.WriteByte(hexDigits[d&15])
		}
	}
	return b.String(), nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// plainNormalPath: p is an absolute path of unreserved characters and
// "/" that is normal already, so escaping it, normalising it and
// unescaping it again give p (backendPath's usual path: "/orders/42").
func plainNormalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if c := p[i]; c != '/' && !isUnreserved(c) {
			return false
		}
	}
	return isNormalPath(p)
}

// isUnreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 2.3).
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// normalizeRequestURL returns u with its path normalised (a copy; u is
// untouched), or an error for a path that cannot be normalised.
// The raw path comes from RawPath when the client's escaping is kept
// there, so "%2F" is seen as sent and never as a separator.
func normalizeRequestURL(u *url.URL) (*url.URL, error) {
	raw := u.EscapedPath()
	if u.Opaque != "" {
		return nil, errPathNotAbsolute
	}
	norm, err := normalizePath(raw)
	if err != nil {
		return nil, err
	}
	if norm == raw {
		return u, nil
	}
	dec, err := url.PathUnescape(norm)
	if err != nil {
		return nil, errPathBadEscape
	}
	out := *u
	out.Path = dec
	out.RawPath = ""
	if out.EscapedPath() != norm {
		out.RawPath = norm
	}
	return &out, nil
}
