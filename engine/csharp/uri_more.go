package csharp

import (
	"net/url"
	"strings"
)

// ---- System.UriKind, Uri.TryCreate, Uri.IsWellFormedUriString,
// uri.IsAbsoluteUri, uri.Segments (APIM's table of allowed types lists
// them)

var uriKind *enumDef

// uriTryCreateKey is the hidden static Uri.TryCreate(s, kind, out u)
// tries (bind.go's tryCall): it returns the Uri or a UriFormatException.
const uriTryCreateKey = "TryCreate<>"

const (
	uriRelOrAbs = 0 // UriKind.RelativeOrAbsolute
	uriAbsolute = 1
	uriRelative = 2
)

func uriKindArg(v any) (int, error) {
	e, _ := v.(enumVal)
	if e.v < uriRelOrAbs || e.v > uriRelative {
		return 0, exc("ArgumentException", "The value '%d' passed for the UriKind parameter is invalid.", e.v)
	}
	return e.v, nil
}

// absoluteURI is new Uri(s)'s rule: a scheme and a host.
func absoluteURI(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, false
	}
	return u, true
}

// createURI is Uri.TryCreate's parse: an absolute URI where kind allows
// one, else (RelativeOrAbsolute, Relative) a reference with no scheme.
func createURI(s string, kind int) (*url.URL, error) {
	bad := exc("UriFormatException", "Invalid URI: The format of the URI could not be determined.")
	if kind != uriRelative {
		if u, ok := absoluteURI(s); ok {
			return u, nil
		}
	}
	if kind == uriAbsolute {
		return nil, bad
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" {
		return nil, bad
	}
	return u, nil
}

// relativeURIErr is what .NET throws reading an absolute URI's part
// (Host, AbsolutePath...) of a relative one.
func relativeURIErr() error {
	return exc("InvalidOperationException", "This operation is not supported for a relative URI.")
}

// absURI is the receiver of a property only absolute URIs have.
func absURI(v any) (*url.URL, error) {
	u, ok := v.(*url.URL)
	if !ok || u == nil {
		return nil, errNull
	}
	if u.Scheme == "" {
		return nil, relativeURIErr()
	}
	return u, nil
}

// hierarchicalSchemes need "//" and a host to be well formed.
var hierarchicalSchemes = map[string]bool{"http": true, "https": true, "ftp": true, "ws": true, "wss": true, "file": true}

// wellFormedURI is Uri.IsWellFormedUriString: RFC 3986's characters
// (non-ASCII allowed, as RFC 3987's IRIs: .NET 4.5 and later), every '%'
// followed by two hex digits, at most one '#', and the kind's shape: an
// absolute URI has a scheme (a hierarchical one "://" and a host that is
// not a drive letter), a relative one none.
func wellFormedURI(s string, kind int) bool {
	frag := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
		case c == '#':
			if frag++; frag > 1 {
				return false
			}
		case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~:/?[]@!$&'()*+,;=", c) >= 0:
		default:
			return false // a space, a backslash, a control character...
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "" {
		return kind != uriAbsolute
	}
	if kind == uriRelative {
		return false
	}
	if hierarchicalSchemes[strings.ToLower(u.Scheme)] {
		h := u.Host
		if !strings.HasPrefix(s[len(u.Scheme)+1:], "//") || u.Scheme != "file" && h == "" || len(h) == 2 && h[1] == ':' {
			return false // www.contoso.com/path (no scheme at all), http:/x, file://c:/directory
		}
	}
	return true
}

// uriSegments is Uri.Segments: the absolute path split after each '/'.
func uriSegments(u *url.URL) []any {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	var out []any
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			out = append(out, p)
			break
		}
		out = append(out, p[:i+1])
		p = p[i+1:]
	}
	return out
}

func registerUriMore() {
	uriKind = newEnum("UriKind", "System", "RelativeOrAbsolute", "Absolute", "Relative")
	static("Uri", uriTryCreateKey, ts(tString, uriKind.t), tUri, func(a []any) (any, error) {
		k, err := uriKindArg(a[1])
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("uriString")
		}
		return createURI(s, k)
	}, nil)
	static("Uri", "IsWellFormedUriString", ts(tString, uriKind.t), tBool, func(a []any) (any, error) {
		k, err := uriKindArg(a[1])
		if err != nil {
			return nil, err
		}
		s, ok := a[0].(string)
		if !ok {
			return false, nil
		}
		return wellFormedURI(s, k), nil
	}, nil)
	prop(KUri, "IsAbsoluteUri", tBool, func(a []any) (any, error) {
		u, ok := a[0].(*url.URL)
		if !ok || u == nil {
			return nil, errNull
		}
		return u.Scheme != "", nil
	}, nil)
	prop(KUri, "Segments", tStrings, func(a []any) (any, error) {
		u, err := absURI(a[0])
		if err != nil {
			return nil, err
		}
		return uriSegments(u), nil
	}, nil)
}
