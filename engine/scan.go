package engine

import "strings"

// skipLiteral returns the end (exclusive) of the string literal or comment
// starting at s[i], for the readers that find where an expression ends:
// C#'s "...", '...', @"..." (with "" for a quote), $"...{hole}..." and
// $@"...", // and /* */ comments, and expr's `...`. ok is false when
// nothing of the kind starts at i; end is -1 when it never ends.
func skipLiteral(s string, i int) (end int, ok bool) {
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "//"):
		if j := strings.IndexByte(rest, '\n'); j >= 0 {
			return i + j, true
		}
		return len(s), true
	case strings.HasPrefix(rest, "/*"):
		if j := strings.Index(rest[2:], "*/"); j >= 0 {
			return i + 2 + j + 2, true
		}
		return -1, true
	case strings.HasPrefix(rest, `$@"`), strings.HasPrefix(rest, `@$"`):
		return skipInterp(s, i+3, true), true
	case strings.HasPrefix(rest, `$"`):
		return skipInterp(s, i+2, false), true
	case strings.HasPrefix(rest, `@"`):
		for j := i + 2; j < len(s); j++ {
			if s[j] == '"' {
				if j+1 < len(s) && s[j+1] == '"' {
					j++
					continue
				}
				return j + 1, true
			}
		}
		return -1, true
	case rest != "" && (rest[0] == '"' || rest[0] == '\'' || rest[0] == '`'):
		q := rest[0]
		for j := i + 1; j < len(s); j++ {
			switch {
			case s[j] == '\\' && q != '`':
				j++
			case s[j] == q:
				return j + 1, true
			}
		}
		return -1, true
	}
	return 0, false
}

// skipInterp scans an interpolated string from just after its opening
// quote: holes may hold strings of their own.
func skipInterp(s string, j int, verbatim bool) int {
	for j < len(s) {
		c := s[j]
		switch {
		case c == '\\' && !verbatim:
			j += 2
			continue
		case c == '"' && verbatim && j+1 < len(s) && s[j+1] == '"':
			j += 2
			continue
		case c == '"':
			return j + 1
		case c == '{' && j+1 < len(s) && s[j+1] == '{':
			j += 2
			continue
		case c == '{':
			depth := 0
			for j < len(s) {
				if end, ok := skipLiteral(s, j); ok {
					if end < 0 {
						return -1
					}
					j = end
					continue
				}
				switch s[j] {
				case '{', '(', '[':
					depth++
				case '}', ')', ']':
					depth--
				}
				j++
				if depth == 0 {
					break
				}
			}
			continue
		}
		j++
	}
	return -1
}

// skipLiteralRaw is skipLiteral for raw XML text, where an attribute's
// string literals may be written with entities (&quot;http://h/&quot;, as
// XML-escaped APIM policies are): such a literal is skipped whole, so a //
// or a bracket inside it is not read as a comment or as code.
func skipLiteralRaw(s string, i int) (end int, ok bool) {
	for _, q := range [...]string{"&quot;", "&apos;"} {
		if !strings.HasPrefix(s[i:], q) {
			continue
		}
		for j := i + len(q); j < len(s); j++ {
			switch {
			case s[j] == '\\':
				if strings.HasPrefix(s[j+1:], q) {
					j += len(q) // an escaped quote, \&quot;
				} else {
					j++
				}
			case strings.HasPrefix(s[j:], q):
				return j + len(q), true
			}
		}
		return -1, true
	}
	return skipLiteral(s, i)
}
