// Package csharp is the front-end for APIM's C# policy expressions: a
// lexer, a Pratt parser to an AST with positions, a binder that checks the
// AST against the typed `context` model and the allowed .NET subset, a
// lowering of what expr-lang can express into expr source, and a small
// statement interpreter for the rest (try/catch, while, out arguments,
// loops that change several locals).
//
// The package does not import the engine: the engine describes its model
// with reflect types (Model) and runs the results.
package csharp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tkEOF tokKind = iota
	tkIdent
	tkInt
	tkReal
	tkString  // regular or verbatim string, Text is the decoded value
	tkInterp  // interpolated string, Parts holds the pieces
	tkChar    // Text is the character
	tkOp      // punctuation and operators
	tkKeyword // reserved words
)

// token is one lexeme; Off is its byte offset in the source.
type token struct {
	Kind  tokKind
	Text  string
	Off   int
	Suf   string       // numeric suffix (L, m, d, f, u...)
	Parts []interpPart // interpolated string pieces
}

// interpPart is a literal piece (Expr == "") or a hole {expr[,align][:format]}.
type interpPart struct {
	Lit     string
	Expr    string
	ExprOff int // byte offset of Expr in the whole source
	Format  string
	IsHole  bool
}

var keywords = map[string]bool{
	"var": true, "return": true, "if": true, "else": true, "foreach": true, "in": true, "new": true,
	"true": true, "false": true, "null": true, "try": true, "catch": true, "finally": true, "while": true,
	"for": true, "do": true, "break": true, "continue": true, "out": true, "is": true, "as": true,
	"throw": true, "typeof": true, "default": true, "ref": true,
}

// SyntaxError is a problem in the C# text at byte offset Off.
type SyntaxError struct {
	Off int
	Msg string
	// Bound is set for errors found after the text parsed as C# (unknown
	// names, members, types, conversions): the text is C#, but wrong.
	Bound bool
}

func (e *SyntaxError) Error() string { return e.Msg }

type lexer struct {
	src  string
	i    int
	base int // offset of src within the whole expression (interpolation holes)
	toks []token
}

func lex(src string, base int) ([]token, error) {
	lx := &lexer{src: src, base: base}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		lx.toks = append(lx.toks, t)
		if t.Kind == tkEOF {
			return lx.toks, nil
		}
	}
}

func (lx *lexer) errf(off int, format string, args ...any) error {
	return &SyntaxError{Off: lx.base + off, Msg: fmt.Sprintf(format, args...)}
}

// three-, two- and one-character operators, longest first.
var ops = []string{"??=", "<<=", ">>=", "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<", "::",
	"+", "-", "*", "/", "%", "<", ">", "!", "=", "?", ":", ".", ",", ";", "(", ")", "[", "]", "{", "}", "&", "|", "^", "~"}

func (lx *lexer) skipSpace() error {
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			lx.i++
		case strings.HasPrefix(lx.src[lx.i:], "//"):
			for lx.i < len(lx.src) && lx.src[lx.i] != '\n' {
				lx.i++
			}
		case strings.HasPrefix(lx.src[lx.i:], "/*"):
			j := strings.Index(lx.src[lx.i+2:], "*/")
			if j < 0 {
				return lx.errf(lx.i, "unterminated comment: /* without */")
			}
			lx.i += j + 4
		default:
			r, n := utf8.DecodeRuneInString(lx.src[lx.i:])
			if r == 0xFEFF || (r > 127 && unicode.IsSpace(r)) {
				lx.i += n
				continue
			}
			return nil
		}
	}
	return nil
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.i
	if lx.i >= len(lx.src) {
		return token{Kind: tkEOF, Off: lx.base + start}, nil
	}
	s := lx.src[lx.i:]
	r, _ := utf8.DecodeRuneInString(s)
	switch {
	case strings.HasPrefix(s, `$@"`) || strings.HasPrefix(s, `@$"`):
		lx.i += 3
		return lx.interp(start, true)
	case strings.HasPrefix(s, `$"`):
		lx.i += 2
		return lx.interp(start, false)
	case strings.HasPrefix(s, `@"`):
		lx.i += 2
		v, err := lx.verbatim(start)
		return token{Kind: tkString, Text: v, Off: lx.base + start}, err
	case s[0] == '@' && len(s) > 1 && isIdentStart(rune(s[1])):
		lx.i++ // @identifier: a keyword used as a name
		t := lx.ident(lx.i)
		t.Off = lx.base + start
		t.Kind = tkIdent
		return t, nil
	case s[0] == '"':
		lx.i++
		v, err := lx.regular(start, '"')
		return token{Kind: tkString, Text: v, Off: lx.base + start}, err
	case s[0] == '\'':
		lx.i++
		v, err := lx.regular(start, '\'')
		if err != nil {
			return token{}, err
		}
		if utf8.RuneCountInString(v) != 1 {
			if v == "" {
				return token{}, lx.errf(start, "empty character literal (CS1011; a C# string is written in double quotes)")
			}
			return token{}, lx.errf(start, "too many characters in character literal '%s' (CS1012; a C# string is written in double quotes)", v)
		}
		return token{Kind: tkChar, Text: v, Off: lx.base + start}, nil
	case s[0] >= '0' && s[0] <= '9' || (s[0] == '.' && len(s) > 1 && s[1] >= '0' && s[1] <= '9'):
		return lx.number(start)
	case isIdentStart(r):
		t := lx.ident(start)
		if keywords[t.Text] {
			t.Kind = tkKeyword
		}
		return t, nil
	}
	for _, op := range ops {
		if strings.HasPrefix(s, op) {
			lx.i += len(op)
			return token{Kind: tkOp, Text: op, Off: lx.base + start}, nil
		}
	}
	if s[0] == '`' {
		return token{}, lx.errf(start, "unexpected character '`' (C# has no backquoted strings)")
	}
	if s[0] == '@' && len(s) > 1 && (s[1] == '(' || s[1] == '{') {
		// A policy expression's marker written again inside its C# (seen in a deployed
		// template: request.Add("k", @((string)context.Variables["k"]))).
		return token{}, lx.errf(start, "%q inside C# code: policy expressions do not nest, and C# reads this @ as a verbatim prefix (CS1646): write the C# without %q and its closing %q",
			s[:2], s[:2], map[byte]string{'(': ")", '{': "}"}[s[1]])
	}
	return token{}, lx.errf(start, "unexpected character %q", r)
}

func (lx *lexer) ident(start int) token {
	j := lx.i
	for j < len(lx.src) {
		r, n := utf8.DecodeRuneInString(lx.src[j:])
		if !isIdentPart(r) {
			break
		}
		j += n
	}
	t := token{Kind: tkIdent, Text: lx.src[lx.i:j], Off: lx.base + start}
	lx.i = j
	return t
}

func (lx *lexer) number(start int) (token, error) {
	s := lx.src
	j := lx.i
	kind := tkInt
	if strings.HasPrefix(s[j:], "0x") || strings.HasPrefix(s[j:], "0X") {
		j += 2
		for j < len(s) && (isHex(s[j]) || s[j] == '_') {
			j++
		}
	} else if strings.HasPrefix(s[j:], "0b") || strings.HasPrefix(s[j:], "0B") {
		// a binary literal (C# 7): 0b1010, 0b_1111_0000
		j += 2
		for j < len(s) && (s[j] == '0' || s[j] == '1' || s[j] == '_') {
			j++
		}
	} else {
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
			j++
		}
		if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
			kind = tkReal
			j++
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
				j++
			}
		}
		if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
			k := j + 1
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
			}
			if k < len(s) && s[k] >= '0' && s[k] <= '9' {
				kind = tkReal
				j = k
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
		}
	}
	if lit := s[lx.i:j]; len(lit) == 2 && kind == tkInt && (lit[1] == 'x' || lit[1] == 'X' || lit[1] == 'b' || lit[1] == 'B') || lit[len(lit)-1] == '_' || kind == tkReal && (strings.Contains(lit, "_.") || strings.Contains(lit, "._") || strings.Contains(lit, "_e") || strings.Contains(lit, "_E")) {
		// a digit separator ends no digits (1_, 1_.5, 0x1_): CS1013 there
		return token{}, lx.errf(start, "invalid number %q (a digit separator _ goes between digits)", s[lx.i:j])
	}
	text := strings.ReplaceAll(s[lx.i:j], "_", "")
	k := j
	for k < len(s) && strings.ContainsRune("uUlLmMdDfF", rune(s[k])) {
		k++
	}
	suf := strings.ToLower(s[j:k])
	if k < len(s) && isIdentPart(rune(s[k])) {
		return token{}, lx.errf(start, "invalid number %q", s[lx.i:k+1])
	}
	switch suf {
	case "", "u", "l", "ul", "lu":
	case "m", "d", "f":
		kind = tkReal
	default:
		return token{}, lx.errf(start, "invalid numeric suffix %q", s[j:k])
	}
	lx.i = k
	return token{Kind: kind, Text: text, Suf: suf, Off: lx.base + start}, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// regular reads a "..." or '...' literal after its opening quote.
func (lx *lexer) regular(start int, q byte) (string, error) {
	var b strings.Builder
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == q:
			lx.i++
			return b.String(), nil
		case c == '\n':
			return "", lx.errf(start, "newline in constant: the string starting here is not closed on its line")
		case c == '\\':
			if err := lx.escape(&b); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
			lx.i++
		}
	}
	return "", lx.errf(start, "unterminated string literal")
}

func (lx *lexer) escape(b *strings.Builder) error {
	at := lx.i
	lx.i++
	if lx.i >= len(lx.src) {
		return lx.errf(at, "unterminated escape sequence")
	}
	c := lx.src[lx.i]
	lx.i++
	switch c {
	case '\'', '"', '\\':
		b.WriteByte(c)
	case '0':
		b.WriteByte(0)
	case 'a':
		b.WriteByte(7)
	case 'b':
		b.WriteByte(8)
	case 'f':
		b.WriteByte(12)
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'v':
		b.WriteByte(11)
	case 'u', 'x', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		j := lx.i
		for j < len(lx.src) && j-lx.i < n && isHex(lx.src[j]) {
			j++
		}
		if j == lx.i || (c != 'x' && j-lx.i != n) {
			return lx.errf(at, "unrecognized escape sequence \\%c", c)
		}
		var v rune
		fmt.Sscanf(lx.src[lx.i:j], "%x", &v)
		b.WriteRune(v)
		lx.i = j
	default:
		return lx.errf(at, "unrecognized escape sequence \\%c", c)
	}
	return nil
}

// verbatim reads an @"..." literal after its opening quote ("" is a quote).
func (lx *lexer) verbatim(start int) (string, error) {
	var b strings.Builder
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		if c == '"' {
			if lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '"' {
				b.WriteByte('"')
				lx.i += 2
				continue
			}
			lx.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		lx.i++
	}
	return "", lx.errf(start, "unterminated verbatim string literal")
}

// interp reads $"..." (or $@"...") after its opening quote.
func (lx *lexer) interp(start int, verbatim bool) (token, error) {
	var parts []interpPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, interpPart{Lit: lit.String()})
			lit.Reset()
		}
	}
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == '"' && verbatim && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '"':
			lit.WriteByte('"')
			lx.i += 2
		case c == '"':
			lx.i++
			flush()
			return token{Kind: tkInterp, Parts: parts, Off: lx.base + start}, nil
		case c == '\\' && !verbatim:
			if err := lx.escape(&lit); err != nil {
				return token{}, err
			}
		case c == '\n' && !verbatim:
			return token{}, lx.errf(start, "newline in constant: the string starting here is not closed on its line")
		case c == '{' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '{':
			lit.WriteByte('{')
			lx.i += 2
		case c == '}' && lx.i+1 < len(lx.src) && lx.src[lx.i+1] == '}':
			lit.WriteByte('}')
			lx.i += 2
		case c == '}':
			return token{}, lx.errf(lx.i, "a '}' character in an interpolated string must be doubled ('}}')")
		case c == '{':
			flush()
			hole, err := lx.hole(verbatim)
			if err != nil {
				return token{}, err
			}
			parts = append(parts, hole)
		default:
			lit.WriteByte(c)
			lx.i++
		}
	}
	return token{}, lx.errf(start, "unterminated interpolated string")
}

// hole reads {expr[,align][:format]} inside an interpolated string.
func (lx *lexer) hole(verbatim bool) (interpPart, error) {
	open := lx.i
	lx.i++
	depth := 0
	exprStart := lx.i
	exprEnd, fmtStart := -1, -1
	for lx.i < len(lx.src) {
		c := lx.src[lx.i]
		switch {
		case c == '"' || c == '\'':
			lx.i++
			if _, err := lx.regular(lx.i-1, c); err != nil {
				return interpPart{}, err
			}
			continue
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == '}' && depth > 0:
			depth--
		case c == ':' && depth == 0 && exprEnd < 0 && !strings.HasPrefix(lx.src[lx.i:], "::"):
			exprEnd = lx.i
			fmtStart = lx.i + 1
		case c == '}' && depth == 0:
			end := lx.i
			if exprEnd < 0 {
				exprEnd = end
			}
			p := interpPart{IsHole: true, Expr: lx.src[exprStart:exprEnd], ExprOff: lx.base + exprStart}
			if fmtStart >= 0 {
				p.Format = lx.src[fmtStart:end]
				if !verbatim && strings.IndexByte(p.Format, '\\') >= 0 {
					// a regular string's escapes apply to the format too:
					// $"{t:hh\\:mm}" is hh\:mm
					sub := *lx
					sub.src, sub.i = lx.src[:end], fmtStart
					var b strings.Builder
					for sub.i < end {
						if sub.src[sub.i] == '\\' {
							if err := sub.escape(&b); err != nil {
								return interpPart{}, err
							}
							continue
						}
						b.WriteByte(sub.src[sub.i])
						sub.i++
					}
					p.Format = b.String()
				}
			}
			if i := strings.IndexByte(p.Expr, ','); i >= 0 && depth == 0 && !strings.ContainsAny(p.Expr[i:], "()") {
				// alignment component {x,10}: kept in Format as ",10"
				p.Format = p.Expr[i:] + func() string {
					if p.Format != "" {
						return ":" + p.Format
					}
					return ""
				}()
				p.Expr = p.Expr[:i]
			}
			if strings.TrimSpace(p.Expr) == "" {
				return interpPart{}, lx.errf(open, "empty expression in an interpolated string hole")
			}
			lx.i++
			return p, nil
		}
		lx.i++
	}
	return interpPart{}, lx.errf(open, "unterminated interpolation hole: no closing '}'")
}
