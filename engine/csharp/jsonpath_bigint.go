package csharp

import (
	"errors"
	"strconv"
	"strings"
)

// bigIntLiterals rewrites the integer literals of a path's filters that
// are past long's range (@.id == 123456789012345678901234), which
// Newtonsoft reads as BigIntegers and the RFC 9535 parser refuses (its
// integers are int64s), into the same digits with ".0": the parser reads
// them as their nearest double, as plainJSON gives an integer past long in
// the document, so the two compare as the numbers they are (to a double's
// precision, as every comparison the library makes). A literal within
// long's range, one in quotes, an index ($[123…], not in a filter) and
// digits that are part of a name or of a number with a fraction or an
// exponent are left as they are. A path without a filter is returned as
// it is.
func bigIntLiterals(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	last := 0 // q[last:] is not written yet
	depth := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		if j, in := quoted(q, i, &quote); in {
			i = j
			continue
		}
		c := q[i]
		switch {
		case c == '[' && i+1 < len(q) && q[i+1] == '?':
			depth++
			continue
		case c == '[' && depth > 0:
			depth++
			continue
		case c == ']' && depth > 0:
			depth--
			continue
		case depth == 0 || c < '0' || c > '9':
			continue
		}
		// A run of digits in a filter: a literal when it stands alone.
		start := i
		if start > 0 && q[start-1] == '-' {
			start--
		}
		end := i
		for end < len(q) && q[end] >= '0' && q[end] <= '9' {
			end++
		}
		prev := byte(' ')
		if start > 0 {
			prev = q[start-1]
		}
		next := byte(' ')
		if end < len(q) {
			next = q[end]
		}
		i = end - 1
		if isPathWordByte(prev) || prev == '.' || next == '.' || next == 'e' || next == 'E' || isPathWordByte(next) {
			continue // part of a name (@.a1, @.x2y) or of a number with a fraction or an exponent
		}
		if _, err := strconv.ParseInt(q[start:end], 10, 64); !errors.Is(err, strconv.ErrRange) {
			continue
		}
		b.WriteString(q[last:end])
		b.WriteString(".0")
		last = end
	}
	if last == 0 {
		return q
	}
	b.WriteString(q[last:])
	return b.String()
}

// isPathWordByte reports a byte of a name in a path (letters, digits,
// '_', '$', '@', and UTF-8's bytes past ASCII).
func isPathWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c == '@' || c >= 0x80
}
