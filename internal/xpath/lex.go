package xpath

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// tokKind is the kind of an expression token (XPath 1.0 section 3.7).
type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tLBracket
	tRBracket
	tDot
	tDotDot
	tAt
	tComma
	tColonColon
	tNameTest // *, prefix:*, QName
	tNodeType // comment, text, processing-instruction, node (before '(')
	tOperator // and or mod div / // | + - = != < <= > >= *
	tFuncName // a QName before '('
	tAxisName // an NCName before '::'
	tLiteral
	tNumber
	tVariable // $QName
)

var tokNames = [...]string{
	tEOF:        "end of expression",
	tLParen:     "'('",
	tRParen:     "')'",
	tLBracket:   "'['",
	tRBracket:   "']'",
	tDot:        "'.'",
	tDotDot:     "'..'",
	tAt:         "'@'",
	tComma:      "','",
	tColonColon: "'::'",
	tNameTest:   "name test",
	tNodeType:   "node type test",
	tOperator:   "operator",
	tFuncName:   "function name",
	tAxisName:   "axis name",
	tLiteral:    "string literal",
	tNumber:     "number",
	tVariable:   "variable reference",
}

type token struct {
	kind tokKind
	pos  int    // byte offset in the source
	end  int    // byte offset after the token
	s    string // operator, node type, axis name, literal value
	// prefix and local are the parts of a QName (local "*" for a wildcard).
	prefix, local string
	num           float64
}

// describe is how error messages name the token.
func (t token) describe(src string) string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tLiteral:
		return "literal " + strconv.Quote(t.s)
	}
	return strconv.Quote(src[t.pos:t.end])
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

func isNameChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return isNameStart(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
		unicode.Is(unicode.Lm, r) || r == '\u00B7' || r == '\u0387' || r == '\u30FB' || r == '\uFF65'
}

// ncname returns the end of the NCName at src[i:], or i if there is none.
func ncname(src string, i int) int {
	r, n := utf8.DecodeRuneInString(src[i:])
	if !isNameStart(r) {
		return i
	}
	i += n
	for i < len(src) {
		r, n := utf8.DecodeRuneInString(src[i:])
		if !isNameChar(r) {
			break
		}
		i += n
	}
	return i
}

var nodeTypes = map[string]bool{"comment": true, "text": true, "processing-instruction": true, "node": true}

var axisNames = map[string]axis{
	"ancestor":           axAncestor,
	"ancestor-or-self":   axAncestorOrSelf,
	"attribute":          axAttribute,
	"child":              axChild,
	"descendant":         axDescendant,
	"descendant-or-self": axDescendantOrSelf,
	"following":          axFollowing,
	"following-sibling":  axFollowingSibling,
	"namespace":          axNamespace,
	"parent":             axParent,
	"preceding":          axPreceding,
	"preceding-sibling":  axPrecedingSibling,
	"self":               axSelf,
}

// lex splits src into tokens, applying the disambiguation rules of XPath 1.0
// section 3.7.
func lex(src string) ([]token, *Error) {
	var toks []token
	errAt := func(pos int, format string, args ...any) *Error {
		return &Error{Expr: src, Offset: pos, Msg: fmt.Sprintf(format, args...)}
	}
	// operatorContext: a preceding token exists and is not one of @ :: ( [ ,
	// or an operator; then * is multiplication and a name an operator name.
	operatorContext := func() bool {
		if len(toks) == 0 {
			return false
		}
		switch toks[len(toks)-1].kind {
		case tAt, tColonColon, tLParen, tLBracket, tComma, tOperator:
			return false
		}
		return true
	}
	i := 0
	for {
		for i < len(src) && isXMLSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			toks = append(toks, token{kind: tEOF, pos: i, end: i})
			return toks, nil
		}
		start := i
		tok := token{pos: start}
		c := src[i]
		switch {
		case c == '(':
			tok.kind, i = tLParen, i+1
		case c == ')':
			tok.kind, i = tRParen, i+1
		case c == '[':
			tok.kind, i = tLBracket, i+1
		case c == ']':
			tok.kind, i = tRBracket, i+1
		case c == '@':
			tok.kind, i = tAt, i+1
		case c == ',':
			tok.kind, i = tComma, i+1
		case c == '.' && i+1 < len(src) && src[i+1] == '.':
			tok.kind, i = tDotDot, i+2
		case c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9', c >= '0' && c <= '9':
			for i < len(src) && src[i] >= '0' && src[i] <= '9' {
				i++
			}
			if i < len(src) && src[i] == '.' {
				i++
				for i < len(src) && src[i] >= '0' && src[i] <= '9' {
					i++
				}
			}
			tok.kind = tNumber
			tok.num = StringToNumber(src[start:i])
		case c == '.':
			tok.kind, i = tDot, i+1
		case c == ':':
			if i+1 < len(src) && src[i+1] == ':' {
				tok.kind, i = tColonColon, i+2
			} else {
				return nil, errAt(i, "unexpected ':'")
			}
		case c == '/':
			tok.kind, tok.s, i = tOperator, "/", i+1
			if i < len(src) && src[i] == '/' {
				tok.s, i = "//", i+1
			}
		case c == '|' || c == '+' || c == '-' || c == '=':
			tok.kind, tok.s, i = tOperator, string(c), i+1
		case c == '!':
			if i+1 < len(src) && src[i+1] == '=' {
				tok.kind, tok.s, i = tOperator, "!=", i+2
			} else {
				return nil, errAt(i, "unexpected '!' (did you mean '!='?)")
			}
		case c == '<' || c == '>':
			tok.kind, tok.s, i = tOperator, string(c), i+1
			if i < len(src) && src[i] == '=' {
				tok.s, i = tok.s+"=", i+1
			}
		case c == '*':
			i++
			if operatorContext() {
				tok.kind, tok.s = tOperator, "*"
			} else {
				tok.kind, tok.local = tNameTest, "*"
			}
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				j++
			}
			if j >= len(src) {
				return nil, errAt(i, "unterminated string literal")
			}
			tok.kind, tok.s, i = tLiteral, src[i+1:j], j+1
		case c == '$':
			tok.kind = tVariable
			j := ncname(src, i+1)
			if j == i+1 {
				return nil, errAt(i, "expected a variable name after '$'")
			}
			tok.local, i = src[i+1:j], j
			if i < len(src) && src[i] == ':' && (i+1 == len(src) || src[i+1] != ':') {
				k := ncname(src, i+1)
				if k == i+1 {
					return nil, errAt(i+1, "expected a local name after %q", src[start:i+1])
				}
				tok.prefix, tok.local, i = tok.local, src[i+1:k], k
			}
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			j := ncname(src, i)
			if j == i {
				if r == utf8.RuneError {
					return nil, errAt(i, "invalid UTF-8")
				}
				return nil, errAt(i, "unexpected character %q", r)
			}
			name := src[i:j]
			i = j
			if operatorContext() {
				switch name {
				case "and", "or", "mod", "div":
					tok.kind, tok.s = tOperator, name
				default:
					return nil, errAt(start, "expected an operator, found %q", name)
				}
				break
			}
			tok.local = name
			qualified := false
			if i < len(src) && src[i] == ':' && (i+1 == len(src) || src[i+1] != ':') {
				// prefix:local or prefix:*
				if i+1 < len(src) && src[i+1] == '*' {
					tok.kind, tok.prefix, tok.local, i = tNameTest, name, "*", i+2
					break
				}
				k := ncname(src, i+1)
				if k == i+1 {
					return nil, errAt(i+1, "expected a local name or '*' after %q", name+":")
				}
				tok.prefix, tok.local, i = name, src[i+1:k], k
				qualified = true
			}
			k := i
			for k < len(src) && isXMLSpace(src[k]) {
				k++
			}
			switch {
			case k < len(src) && src[k] == '(':
				if !qualified && nodeTypes[name] {
					tok.kind, tok.s = tNodeType, name
				} else {
					tok.kind = tFuncName
				}
			case k+1 < len(src) && src[k] == ':' && src[k+1] == ':':
				if qualified {
					return nil, errAt(start, "%q is not an axis name", src[start:i])
				}
				if _, ok := axisNames[name]; !ok {
					return nil, errAt(start, "unknown axis %q", name)
				}
				tok.kind, tok.s = tAxisName, name
			default:
				tok.kind = tNameTest
			}
		}
		tok.end = i
		toks = append(toks, tok)
	}
}
