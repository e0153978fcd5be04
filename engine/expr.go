package engine

import (
	"reflect"
	"strings"
)

// Expression compiling: the @(...) and @{...} values a Parser meets are
// compiled here, in their language (lang.go: C# or expr), against the
// typed environment (env.go) and checked for the type their attribute needs.

type kind int

const (
	kindAny kind = iota
	kindString
	kindBool
	kindNumber
)

// compile compiles "@(...)" or "@{...}" against the typed environment and
// checks its result type. raw is the text as written, for messages (it
// still has {{names}}, so secrets never appear in errors).
func (p *Parser) compile(v string, vs *valueSrc, want kind) *program {
	pos := vs.pos(0)
	ce, ok := p.compileExpr(v, vs, pos)
	if !ok {
		p.c.poison(vs.loc.pos)
		return failed
	}
	pr := p.checkKind(ce, vs, pos, want)
	if pr != failed && (pr.readsUrl || urlReader(v)) { // v: with the named values' text
		pr.readsUrl = true
		pr.fast.readingUrl()
	}
	return pr
}

// readingUrl makes the fast paths of a program that may read
// context.Request.Url's scheme, host, port or path (a member chain such as
// context.Request.Url.Path is one) build the view first, as State.run
// does: the fast paths of the others are left as they are.
func (f *fastProg) readingUrl() {
	if g := f.s; g != nil {
		f.s = func(st *State) (string, bool) { st.readUrl(); return g(st) }
	}
	if g := f.b; g != nil {
		f.b = func(st *State) (bool, bool) { st.readUrl(); return g(st) }
	}
	if g := f.i; g != nil {
		f.i = func(st *State) (int, bool) { st.readUrl(); return g(st) }
	}
	if g := f.a; g != nil {
		f.a = func(st *State) (any, bool) { st.readUrl(); return g(st) }
	}
}

func (p *Parser) compileExpr(v string, vs *valueSrc, pos Pos) (*compiledExpr, bool) {
	end := exprEnd(v)
	if end != len(v) {
		if end < 0 {
			p.ErrorAt(pos, "unterminated expression: no closing %q for this %q (check brackets and quotes)", map[byte]string{'(': ")", '{': "}"}[v[1]], v[:2])
		} else {
			p.ErrorAt(vs.pos(end), "text after the expression: a value is either a literal or one whole @(...) expression")
		}
		return nil, false
	}
	src := v[2 : len(v)-1]
	if strings.TrimSpace(src) == "" {
		p.ErrorAt(pos, "empty expression")
		return nil, false
	}
	return p.compileText(src, v[1] == '{', vs)
}

func (p *Parser) checkKind(ce *compiledExpr, vs *valueSrc, pos Pos, want kind) *program {
	raw := vs.raw
	k := ce.kind()
	if k != reflect.Invalid && k != reflect.Interface {
		ok := true
		switch want {
		case kindString:
			ok = k == reflect.String
		case kindBool:
			ok = k == reflect.Bool
		case kindNumber:
			switch k {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			default:
				ok = false
			}
		}
		if !ok {
			p.ErrorAt(pos, "expression yields %s, but this value must be %s", ce.typeName(), [...]string{"any", "a string", "a bool", "a number"}[want])
			p.c.poison(vs.loc.pos)
			return failed
		}
	}
	pr := &program{
		prog:   ce.prog,
		interp: ce.interp,
		src:    strings.TrimSpace(raw),
		secret: vs.secret(),
		csharp: ce.cs != nil,
	}
	if ce.prog != nil {
		pr.elapsed = strings.Contains(ce.prog.Source().String(), "Elapsed")
		if !pr.elapsed { // context.Elapsed is set by run: leave those to the VM
			pr.fast = buildFast(ce.prog.Node())
		}
	} else {
		pr.elapsed = strings.Contains(raw, "Elapsed")
	}
	pr.readsUrl = urlReader(raw) || ce.prog != nil && urlReader(ce.prog.Source().String())
	return pr
}

// urlReader reports whether an expression's source may read
// context.Request.Url's scheme, host, port or path (the backend URL's view,
// which State.RefreshUrl leaves to be built when first read): true unless
// every "Request" in it is followed by one of the members that cannot
// reach them (its headers, body, method, address, parameters, its Url's
// query) and every other "Url" by ".Query". A name it does not know, an
// alias (var r = context.Request;), a call on the request, a space before
// the dot: all count as reads.
func urlReader(src string) bool {
	for rest := src; ; {
		i := strings.Index(rest, "Request")
		j := strings.Index(rest, "Url")
		switch {
		case i < 0 && j < 0:
			return false
		case i >= 0 && (j < 0 || i < j):
			rest = rest[i+len("Request"):]
			ok := false
			for _, m := range [...]string{".Headers", ".Body", ".Method", ".IpAddress", ".MatchedParameters", ".Url.Query"} {
				if strings.HasPrefix(rest, m) {
					rest, ok = rest[len(m):], true
					break
				}
			}
			if !ok && rest != "" && (isIdentByte(rest[0])) {
				continue // a longer name (RequestId)
			}
			if !ok {
				return true
			}
		default:
			rest = rest[j+len("Url"):]
			if strings.HasPrefix(rest, ".Query") {
				rest = rest[len(".Query"):]
				continue
			}
			if rest != "" && isIdentByte(rest[0]) {
				continue // a longer name (Urls, UrlEncode)
			}
			return true
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// exprEnd returns the length of the @(...) or @{...} expression at the start
// of s (brackets inside string literals and comments do not count), or -1.
func exprEnd(s string) int {
	if len(s) < 2 || s[0] != '@' || (s[1] != '(' && s[1] != '{') {
		return -1
	}
	open, closer := s[1], byte(')')
	if open == '{' {
		closer = '}'
	}
	depth := 0
	for i := 1; i < len(s); i++ {
		if end, ok := skipLiteral(s, i); ok {
			if end < 0 {
				return -1
			}
			i = end - 1
			continue
		}
		c := s[i]
		switch {
		case c == open:
			depth++
		case c == closer:
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// blockToExpr maps APIM's multi-statement @{ ...; return x; } onto expr's
// let-sequences: `return` is dropped and the final ';' removed. Both are
// replaced by spaces so error columns stay right.
func blockToExpr(src string) string {
	b := []byte(src)
	// trailing ';'
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' {
			continue
		}
		if b[i] == ';' {
			b[i] = ' '
		}
		break
	}
	// 'return' keywords outside strings, at a statement start
	inStr := byte(0)
	stmtStart := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr != 0 {
			if c == '\\' && inStr != '`' {
				i++
			} else if c == inStr {
				inStr = 0
			}
			continue
		}
		switch {
		case c == '"' || c == '\'' || c == '`':
			inStr = c
			stmtStart = false
		case c == ';' || c == '{':
			stmtStart = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case stmtStart && strings.HasPrefix(string(b[i:]), "return") && (i+6 == len(b) || !isIdent(b[i+6])):
			copy(b[i:], "      ")
			i += 5
			stmtStart = false
		default:
			stmtStart = false
		}
	}
	return string(b)
}

func isIdent(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
