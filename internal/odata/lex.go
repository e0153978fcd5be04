package odata

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// The lexer of common expressions (and of $select, $expand and $search
// items). It reads an option's value after percent-decoding: the ABNF
// lets every delimiter be written literally or percent-encoded (OPEN is
// "(" / "%28"), so decoding first reads both.

type tokKind uint8

const (
	tEOF     tokKind = iota
	tIdent           // name, or a qualified name (NS.Name, geo.distance)
	tDollar          // $it, $this, $root, $count, $filter, $ref, $value, $levels, ...
	tAlias           // @name
	tString          // 'text' (text is the value, '' undone)
	tTyped           // prefix'text': duration'P1D', binary'..', geography'..', NS.Color'Red'
	tNumber          // a numeric, date, time, date-time or GUID literal, as written
	tPunct           // ( ) , / : ; = [ ] { } * - +
	tJSONStr         // "text" (JSON string, in arrays and objects, and $search phrases)
)

type token struct {
	kind   tokKind
	text   string // the name, the literal's text, or the punctuation
	prefix string // tTyped: the prefix
	pos    int    // byte offset in the option value
	end    int
	space  bool // whitespace (RWS/BWS) right before it
}

// SyntaxError is a problem with a query option or the resource path: what
// is wrong, and where in the (percent-decoded) value.
type SyntaxError struct {
	Pos int // byte offset in the decoded value, from 0
	Msg string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at %d: %s", e.Pos+1, e.Msg) }

func errAt(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// MaxTokens bounds the tokens of one option value.
const MaxTokens = 20000

func isLetter(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= 0x80 && (unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)))
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isIdentChar(r rune) bool {
	return r == '_' || isLetter(r) || isDigit(r) ||
		(r >= 0x80 && (unicode.In(r, unicode.Nd, unicode.Mn, unicode.Mc, unicode.Pc, unicode.Cf)))
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// guidAt reports whether s[i:] starts with a GUID not followed by a name
// character.
func guidAt(s string, i int) bool {
	if len(s)-i < 36 {
		return false
	}
	for j := 0; j < 36; j++ {
		c := s[i+j]
		if j == 8 || j == 13 || j == 18 || j == 23 {
			if c != '-' {
				return false
			}
		} else if !isHex(c) {
			return false
		}
	}
	if i+36 < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i+36:])
		if isIdentChar(r) || r == '-' {
			return false
		}
	}
	return true
}

// lex splits s into tokens.
func lex(s string) ([]token, *SyntaxError) {
	for j := 0; j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		switch {
		case r == utf8.RuneError && n == 1:
			return nil, errAt(j, "invalid UTF-8")
		case (r < 0x20 && r != '\t') || r == 0x7f:
			return nil, errAt(j, "control character %#02x", r)
		}
		j += n
	}
	toks := make([]token, 0, min(len(s)/3+2, MaxTokens+1))
	i := 0
	space := false
	for i < len(s) {
		if len(toks) >= MaxTokens {
			return nil, errAt(i, "more than %d tokens", MaxTokens)
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			space = true
			i++
			continue
		case c < 0x20 || c == 0x7f:
			return nil, errAt(i, "control character %#02x", c)
		}
		start := i
		t := token{pos: start, space: space}
		space = false
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return nil, errAt(i, "invalid UTF-8")
		}
		switch {
		case c == '\'':
			v, end, err := lexQuoted(s, i)
			if err != nil {
				return nil, err
			}
			t.kind, t.text, i = tString, v, end
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, errAt(i, "unterminated \"string\"")
			}
			t.kind, t.text, i = tJSONStr, s[i+1:j], j+1
		case guidAt(s, i):
			t.kind, t.text, i = tNumber, s[i:i+36], i+36
		case isDigit(r):
			j := i
			for j < len(s) && (isHex(s[j]) || s[j] == '.' || (s[j] == ':' && j+1 < len(s) && isDigit(rune(s[j+1]))) || s[j] == '-' || s[j] == '+' ||
				s[j] == 'T' || s[j] == 'Z' || s[j] == 'e' || s[j] == 'E' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')) {
				j++
			}
			t.kind, t.text, i = tNumber, s[i:j], j
		case c == '$' || c == '@':
			j := i + 1
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isIdentChar(r2) {
					break
				}
				j += n
			}
			if j == i+1 {
				return nil, errAt(i, "%q must be followed by a name", string(c))
			}
			t.kind, t.text, i = tDollar, s[i:j], j
			if c == '@' {
				t.kind, t.text = tAlias, s[i-(j-start)+1:j]
				// An annotation (@NS.Term) is an alias-like name with dots.
				for i < len(s) && s[i] == '.' && i+1 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[i+1:])
					if !isLetter(r3) && r3 != '_' {
						break
					}
					k := i + 1
					for k < len(s) {
						r4, n := utf8.DecodeRuneInString(s[k:])
						if !isIdentChar(r4) {
							break
						}
						k += n
					}
					t.text += s[i:k]
					i = k
				}
			}
		case isLetter(r) || c == '_':
			j := i
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if isIdentChar(r2) {
					j += n
					continue
				}
				if r2 == '.' && j+1 < len(s) {
					r3, _ := utf8.DecodeRuneInString(s[j+1:])
					if isLetter(r3) || r3 == '_' {
						j++
						continue
					}
				}
				break
			}
			t.kind, t.text, i = tIdent, s[i:j], j
			if i+1 < len(s) && s[i] == '.' && s[i+1] == '*' { // NS.* in $select
				t.text, i = s[start:i+2], i+2
			}
			if i < len(s) && s[i] == '\'' {
				v, end, err := lexQuoted(s, i)
				if err != nil {
					return nil, err
				}
				t.kind, t.prefix, t.text, i = tTyped, t.text, v, end
			}
		default:
			switch c {
			case '(', ')', ',', '/', ':', ';', '=', '[', ']', '{', '}', '*', '-', '+':
				t.kind, t.text, i = tPunct, s[i:i+1], i+1
			default:
				return nil, errAt(i, "unexpected character %q", r)
			}
		}
		t.end = i
		toks = append(toks, t)
	}
	toks = append(toks, token{kind: tEOF, pos: len(s), end: len(s), space: space})
	return toks, nil
}

// lexQuoted reads 'text' at s[i] (” is a quote); it returns the text and
// the offset after the closing quote.
func lexQuoted(s string, i int) (string, int, *SyntaxError) {
	var b []byte
	j := i + 1
	for {
		if j >= len(s) {
			return "", 0, errAt(i, "unterminated string literal (a quote inside one is written '')")
		}
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				b = append(b, '\'')
				j += 2
				continue
			}
			return string(b), j + 1, nil
		}
		b = append(b, s[j])
		j++
	}
}
