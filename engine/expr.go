package engine

import (
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Expression compiling: the @(...) and @{...} values a Parser meets are
// compiled here against the typed environment (env.go) and checked for the
// type their attribute needs.

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
	prog, ok := p.compileExpr(v, vs, pos)
	if !ok {
		p.c.poison(vs.loc.pos)
		return failed
	}
	return p.checkKind(prog, vs, pos, want)
}

func (p *Parser) compileExpr(v string, vs *valueSrc, pos Pos) (*vm.Program, bool) {
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
	if v[1] == '{' {
		src = blockToExpr(src)
	}
	if strings.TrimSpace(src) == "" {
		p.ErrorAt(pos, "empty expression")
		return nil, false
	}
	prog, err := expr.Compile(src, p.c.opts...)
	if err != nil {
		p.ErrorAt(exprErrPos(vs, 2, src, err), "cannot compile expression: %s", vs.redact(vs.subst, exprMessage(src, err)))
		return nil, false
	}
	return prog, true
}

func (p *Parser) checkKind(prog *vm.Program, vs *valueSrc, pos Pos, want kind) *program {
	raw := vs.raw
	t := prog.Node().Type()
	if t != nil && t.Kind() != reflect.Interface {
		ok := true
		switch want {
		case kindString:
			ok = t.Kind() == reflect.String
		case kindBool:
			ok = t.Kind() == reflect.Bool
		case kindNumber:
			switch t.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
			default:
				ok = false
			}
		}
		if !ok {
			p.ErrorAt(pos, "expression yields %s, but this value must be %s", typeName(t), [...]string{"any", "a string", "a bool", "a number"}[want])
			p.c.poison(vs.loc.pos)
			return failed
		}
	}
	pr := &program{
		prog:    prog,
		src:     strings.TrimSpace(raw),
		elapsed: strings.Contains(prog.Source().String(), "Elapsed"),
		secret:  vs.secret(),
	}
	if !pr.elapsed { // context.Elapsed is set by run: leave those to the VM
		pr.fast = buildFast(prog.Node())
	}
	return pr
}

// exprEnd returns the length of the @(...) or @{...} expression at the start
// of s (brackets inside string literals do not count), or -1.
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
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && c != '`' {
					i++
				}
			}
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
