package csharp

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits that keep a hostile text from exhausting the parser.
const (
	maxDepth  = 200
	maxTokens = 20000
)

type parser struct {
	toks  []token
	i     int
	depth int
	ctx   ovfCtx // checked(...) / unchecked(...) around what is parsed
	tmps  int    // hidden locals made for null-conditional chains
}

// ParseExpr parses the inside of @(...); base is its offset in the value.
func parseExpr(src string, base int) (Expr, error) {
	p, err := newParser(src, base)
	if err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.Kind != tkEOF {
		return nil, p.errAt(t, "found %s after the end of the expression", desc(t))
	}
	return e, nil
}

// parseBlock parses the inside of @{...} as a statement list.
func parseBlock(src string, base int) (*Block, error) {
	p, err := newParser(src, base)
	if err != nil {
		return nil, err
	}
	b := &Block{snode: snode{Off: base}}
	for p.peek().Kind != tkEOF {
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		b.List = append(b.List, s)
	}
	return b, nil
}

func newParser(src string, base int) (*parser, error) {
	toks, err := lex(src, base)
	if err != nil {
		return nil, err
	}
	if len(toks) > maxTokens {
		return nil, &SyntaxError{Off: base, Msg: fmt.Sprintf("expression too long (more than %d tokens)", maxTokens)}
	}
	return &parser{toks: toks}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.Kind != tkEOF {
		p.i++
	}
	return t
}
func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.Kind == tkOp || t.Kind == tkKeyword) && t.Text == text
}
func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.i++
		return true
	}
	return false
}
func (p *parser) expect(text string) (token, error) {
	if p.is(text) {
		return p.advance(), nil
	}
	t := p.peek()
	return t, p.errAt(t, "%q expected, found %s", text, desc(t))
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &SyntaxError{Off: t.Off, Msg: fmt.Sprintf(format, args...)}
}

func desc(t token) string {
	switch t.Kind {
	case tkEOF:
		return "the end of the expression"
	case tkString, tkInterp:
		return "a string"
	case tkChar:
		return "a character"
	case tkInt, tkReal:
		return "the number " + t.Text
	}
	return fmt.Sprintf("%q", t.Text)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.peek(), "expression nests too deeply")
	}
	return nil
}

// ---- statements

func (p *parser) stmt() (Stmt, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	off := t.Off
	if t.Kind == tkKeyword {
		switch t.Text {
		case "var":
			if n := p.peekN(1); n.Kind == tkOp && n.Text == "(" {
				return nil, tupleErr(n.Off) // var (a, b) = ...: a deconstruction
			}
		case "ref":
			return nil, refErr(t.Off) // ref int x = ref a[0];, ref int F()
		case "return":
			p.advance()
			if p.is("ref") {
				return nil, refErr(p.peek().Off)
			}
			if p.accept(";") {
				return &Return{snode: snode{off}}, nil // only in a void local function (the binder says so elsewhere)
			}
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return &Return{snode: snode{off}, X: x}, p.semi()
		case "if":
			p.advance()
			c, err := p.parenExpr()
			if err != nil {
				return nil, err
			}
			then, err := p.embedded()
			if err != nil {
				return nil, err
			}
			s := &If{snode: snode{off}, C: c, Then: then}
			if p.accept("else") {
				if s.Else, err = p.embedded(); err != nil {
					return nil, err
				}
			}
			return s, nil
		case "foreach":
			p.advance()
			if _, err := p.expect("("); err != nil {
				return nil, err
			}
			tr, err := p.typeRef()
			if err != nil {
				return nil, err
			}
			nt := p.advance()
			if nt.Kind != tkIdent {
				return nil, p.errAt(nt, "identifier expected in foreach, found %s", desc(nt))
			}
			if _, err := p.expect("in"); err != nil {
				return nil, err
			}
			in, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			body, err := p.embedded()
			if err != nil {
				return nil, err
			}
			return &Foreach{snode: snode{off}, Type: tr, Var: nt.Text, In: in, Body: body}, nil
		case "while":
			p.advance()
			c, err := p.parenExpr()
			if err != nil {
				return nil, err
			}
			body, err := p.embedded()
			if err != nil {
				return nil, err
			}
			return &While{snode: snode{off}, C: c, Body: body}, nil
		case "do":
			p.advance()
			body, err := p.embedded()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("while"); err != nil {
				return nil, err
			}
			c, err := p.parenExpr()
			if err != nil {
				return nil, err
			}
			return &While{snode: snode{off}, C: c, Body: body, Do: true}, p.semi()
		case "for":
			return p.forStmt()
		case "try":
			return p.tryStmt()
		case "throw":
			p.advance()
			var x Expr
			if !p.is(";") {
				var err error
				if x, err = p.expr(); err != nil {
					return nil, err
				}
			}
			return &Throw{snode{off}, x}, p.semi()
		case "break":
			p.advance()
			return &Break{snode{off}}, p.semi()
		case "continue":
			p.advance()
			return &Continue{snode{off}}, p.semi()
		case "else":
			return nil, p.errAt(t, "'else' without 'if'")
		}
	}
	if p.is("{") {
		return p.block()
	}
	if p.accept(";") {
		return &Empty{snode{off}}, nil
	}
	if t.Kind == tkIdent && t.Text == "using" {
		return p.usingStmt()
	}
	if t.Kind == tkIdent && t.Text == "switch" && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "(" {
		return p.switchStmt()
	}
	if t.Kind == tkIdent && (t.Text == "unchecked" || t.Text == "checked") && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "{" {
		// checked { ... } and unchecked { ... }: the block, its arithmetic
		// and conversions marked with the context
		p.advance()
		defer p.within(t.Text)()
		return p.block()
	}
	if lf, ok, err := p.tryLocalFunc(); ok || err != nil {
		return lf, err
	}
	if d, ok, err := p.tryDecl(); ok || err != nil {
		if err != nil {
			return nil, err
		}
		return d, p.semi()
	}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	body := x
	for c, ok := body.(*CondAccess); ok; c, ok = body.(*CondAccess) {
		body = c.Body // a?.b.M(); is a call
	}
	switch body.(type) {
	case *Assign, *Call, *NewExpr:
	default:
		return nil, &SyntaxError{Off: x.pos(), Msg: "only assignment, call, increment, decrement and new object expressions can be used as a statement"}
	}
	return &ExprStmt{snode{off}, x}, p.semi()
}

// usingStmt parses `using (var x = e) statement` and the declaration
// `using var x = e;`. Nothing a policy makes holds a resource to release
// (a hash object, a certificate), so Dispose is nothing: the first is the
// block { var x = e; statement }, the second the declaration itself.
func (p *parser) usingStmt() (Stmt, error) {
	off := p.advance().Off
	if !p.accept("(") {
		d, ok, err := p.tryDecl()
		switch {
		case err != nil:
			return nil, err
		case !ok:
			t := p.peek()
			return nil, p.errAt(t, "a declaration or '(' expected after 'using', found %s", desc(t))
		}
		return d, p.semi()
	}
	var first Stmt
	if d, ok, err := p.tryDecl(); err != nil {
		return nil, err
	} else if ok {
		first = d
	} else {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		first = &ExprStmt{snode{x.pos()}, x}
		if _, call := x.(*Call); !call {
			if _, isNew := x.(*NewExpr); !isNew {
				first = &Empty{snode{x.pos()}} // using (someLocal): nothing to run
			}
		}
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	body, err := p.embedded()
	if err != nil {
		return nil, err
	}
	return &Block{snode: snode{off}, List: []Stmt{first, body}}, nil
}

// embedded is the body of if/else/foreach/while: a declaration is not allowed there.
func (p *parser) embedded() (Stmt, error) {
	if d, ok, err := p.tryDecl(); ok && err == nil {
		return nil, &SyntaxError{Off: d.Off, Msg: "embedded statement cannot be a declaration: put it in { }"}
	}
	return p.stmt()
}

func (p *parser) semi() error {
	if p.accept(";") {
		return nil
	}
	t := p.peek()
	return p.errAt(t, "';' expected, found %s", desc(t))
}

func (p *parser) block() (*Block, error) {
	t, err := p.expect("{")
	if err != nil {
		return nil, err
	}
	b := &Block{snode: snode{t.Off}}
	for !p.is("}") {
		if p.peek().Kind == tkEOF {
			return nil, p.errAt(t, "'}' expected: this block is not closed")
		}
		s, err := p.stmt()
		if err != nil {
			return nil, err
		}
		b.List = append(b.List, s)
	}
	p.advance()
	return b, nil
}

// tryLocalFunc parses a local function, `[static] T Name(T1 a, ...) { ... }`
// or `... => expr;`, when the tokens are one.
func (p *parser) tryLocalFunc() (*LocalFunc, bool, error) {
	save := p.i
	t := p.peek()
	if t.Kind == tkIdent && t.Text == "static" {
		p.advance()
	}
	if k := p.peek(); k.Kind != tkIdent {
		p.i = save
		return nil, false, nil
	}
	ret, err := p.typeRef()
	if err != nil || p.peek().Kind != tkIdent || p.peekN(1).Kind != tkOp || p.peekN(1).Text != "(" {
		p.i = save
		return nil, false, nil
	}
	nt := p.advance()
	p.advance() // (
	lf := &LocalFunc{snode: snode{t.Off}, Ret: ret, Name: nt.Text, NameOff: nt.Off}
	for !p.accept(")") {
		if len(lf.Params) > 0 {
			if _, err := p.expect(","); err != nil {
				return nil, true, err
			}
		}
		pt, err := p.typeRef()
		if err != nil {
			return nil, true, err
		}
		pn := p.advance()
		if pn.Kind != tkIdent {
			return nil, true, p.errAt(pn, "parameter name expected, found %s", desc(pn))
		}
		lf.Params = append(lf.Params, &Param{Type: pt, Name: pn.Text, Off: pn.Off})
	}
	if p.accept("=>") {
		if lf.ExprBody, err = p.expr(); err != nil {
			return nil, true, err
		}
		if th, ok := lf.ExprBody.(*ThrowExpr); ok { // T F() => throw e; is { throw e; }
			lf.ExprBody, lf.Body = nil, throwBlock(th)
		}
		return lf, true, p.semi()
	}
	if !p.is("{") {
		return nil, true, p.errAt(p.peek(), "'{' or '=>' expected after the local function %s's parameters, found %s", lf.Name, desc(p.peek()))
	}
	lf.Body, err = p.block()
	return lf, true, err
}

// throwBlock is the statement body { throw e; } of an expression-bodied
// lambda or local function whose expression is a throw expression.
func throwBlock(th *ThrowExpr) *Block {
	return &Block{snode: snode{th.Off}, List: []Stmt{&Throw{snode{th.Off}, th.X}}}
}

// tryDecl parses `T name = e, name2 = e2` when the tokens are one.
func (p *parser) tryDecl() (*Decl, bool, error) {
	save := p.i
	t := p.peek()
	isConst := false
	if t.Kind == tkIdent && t.Text == "const" && p.peekN(1).Kind == tkIdent { // const T name = e: a local that is not assigned again
		p.advance()
		isConst = true
	}
	if k := p.peek(); k.Kind != tkIdent && !(k.Kind == tkKeyword && k.Text == "var") {
		p.i = save
		return nil, false, nil
	}
	tr, err := p.typeRef()
	if err != nil || p.peek().Kind != tkIdent {
		p.i = save
		return nil, false, nil
	}
	if n := p.peekN(1); !(n.Kind == tkOp && (n.Text == "=" || n.Text == ";" || n.Text == ",")) {
		p.i = save
		return nil, false, nil
	}
	d := &Decl{snode: snode{t.Off}, Type: tr, Const: isConst}
	for {
		nt := p.advance()
		if nt.Kind != tkIdent {
			return nil, true, p.errAt(nt, "identifier expected, found %s", desc(nt))
		}
		d.Names = append(d.Names, nt.Text)
		d.Offs = append(d.Offs, nt.Off)
		var init Expr
		if p.accept("=") {
			if b := p.peek(); b.Kind == tkOp && b.Text == "{" { // T[] x = { a, b }: new T[] { a, b }
				switch {
				case tr.Name == "var":
					return nil, true, p.errAt(b, "cannot initialize an implicitly-typed variable with an array initializer")
				case tr.Array == 0:
					return nil, true, p.errAt(b, "can only use array initializer expressions to assign to array types; try using a new expression instead")
				}
				items, err := p.initList()
				if err != nil {
					return nil, true, err
				}
				if items == nil {
					items = []Expr{}
				}
				init = &NewExpr{node: node{Off: b.Off}, Type: tr, Init: items}
			} else if init, err = p.expr(); err != nil {
				return nil, true, err
			}
		} else if tr.Name == "var" {
			return nil, true, p.errAt(nt, "implicitly-typed variables must be initialized")
		} else if isConst {
			return nil, true, p.errAt(nt, "a const field requires a value to be provided")
		}
		d.Inits = append(d.Inits, init)
		if !p.accept(",") {
			return d, true, nil
		}
	}
}

func (p *parser) forStmt() (Stmt, error) {
	t := p.advance()
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	s := &For{snode: snode{t.Off}}
	if !p.is(";") {
		if d, ok, err := p.tryDecl(); ok || err != nil {
			if err != nil {
				return nil, err
			}
			s.Init = append(s.Init, d)
		} else {
			for {
				x, err := p.expr()
				if err != nil {
					return nil, err
				}
				s.Init = append(s.Init, &ExprStmt{snode{x.pos()}, x})
				if !p.accept(",") {
					break
				}
			}
		}
	}
	if err := p.semi(); err != nil {
		return nil, err
	}
	if !p.is(";") {
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.C = c
	}
	if err := p.semi(); err != nil {
		return nil, err
	}
	for !p.is(")") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.Post = append(s.Post, x)
		if !p.accept(",") {
			break
		}
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	body, err := p.embedded()
	if err != nil {
		return nil, err
	}
	s.Body = body
	return s, nil
}

func (p *parser) tryStmt() (Stmt, error) {
	t := p.advance()
	body, err := p.block()
	if err != nil {
		return nil, err
	}
	s := &Try{snode: snode{t.Off}, Body: body}
	for p.is("catch") {
		ct := p.advance()
		c := &Catch{Off: ct.Off}
		if p.accept("(") {
			if c.Type, err = p.typeRef(); err != nil {
				return nil, err
			}
			if p.peek().Kind == tkIdent {
				c.Var = p.advance().Text
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
		}
		if w := p.peek(); w.Kind == tkIdent && w.Text == "when" {
			// an exception filter (C# 6): catch (T e) when (cond)
			p.advance()
			if c.When, err = p.parenExpr(); err != nil {
				return nil, err
			}
		}
		if c.Body, err = p.block(); err != nil {
			return nil, err
		}
		s.Catches = append(s.Catches, c)
	}
	if p.accept("finally") {
		if s.Finally, err = p.block(); err != nil {
			return nil, err
		}
	}
	if len(s.Catches) == 0 && s.Finally == nil {
		return nil, p.errAt(t, "expected catch or finally")
	}
	return s, nil
}

// ---- types

// typeRef parses a type: Name(.Name)*[<T,...>][[]...][?]
func (p *parser) typeRef() (*TypeRef, error) {
	t := p.advance()
	if t.Kind != tkIdent && !(t.Kind == tkKeyword && t.Text == "var") {
		return nil, p.errAt(t, "type expected, found %s", desc(t))
	}
	tr := &TypeRef{Off: t.Off, Name: t.Text}
	for p.is(".") && p.peekN(1).Kind == tkIdent {
		p.advance()
		tr.Name += "." + p.advance().Text
	}
	if p.is("<") {
		save := p.i
		args, ok := p.typeArgs()
		if !ok {
			p.i = save
		} else {
			tr.Args = args
		}
	}
	if p.is("?") && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "[" {
		p.advance() // int?[] and new int?[n]: an array of a nullable type
		tr.Null = true
	}
	for p.is("[") && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "]" {
		p.i += 2
		tr.Array++
	}
	if p.is("?") && !tr.Null {
		n := p.peekN(1)
		if n.Kind == tkIdent || (n.Kind == tkOp && (n.Text == ")" || n.Text == ">" || n.Text == ",")) {
			p.advance()
			tr.Null = true
		}
	}
	return tr, nil
}

// typeArgs parses <T, U> after a name; ok is false when the tokens are not type arguments.
func (p *parser) typeArgs() ([]*TypeRef, bool) {
	if !p.accept("<") {
		return nil, false
	}
	var args []*TypeRef
	for {
		if p.peek().Kind != tkIdent {
			return nil, false
		}
		tr, err := p.typeRef()
		if err != nil {
			return nil, false
		}
		args = append(args, tr)
		if p.accept(",") {
			continue
		}
		if p.accept(">") {
			return args, true
		}
		if p.is(">>") { // List<List<int>>: split the token
			p.toks[p.i].Text = ">"
			p.toks[p.i].Off++
			return args, true
		}
		return nil, false
	}
}

// ---- expressions

func (p *parser) expr() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.assignment()
}

func (p *parser) assignment() (Expr, error) {
	// lambda: x => ..., (x, y) => ..., () => ...
	if l, ok, err := p.tryLambda(); ok || err != nil {
		return l, err
	}
	lhs, err := p.conditional()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.Kind == tkOp {
		switch t.Text {
		case "=", "+=", "-=", "*=", "/=", "%=", "??=", "&=", "|=", "^=", "<<=", ">>=":
			p.advance()
			rhs, err := p.assignment()
			if err != nil {
				return nil, err
			}
			switch lhs.(type) {
			case *Name, *Index, *Member:
			default:
				return nil, &SyntaxError{Off: t.Off, Msg: "the left-hand side of an assignment must be a variable, property or indexer"}
			}
			return &Assign{node: node{Off: lhs.pos(), Ctx: p.ctx}, Op: t.Text, Target: lhs, X: rhs}, nil
		}
	}
	return lhs, nil
}

func (p *parser) tryLambda() (Expr, bool, error) {
	t := p.peek()
	var params []string
	switch {
	case t.Kind == tkIdent && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "=>":
		params = []string{t.Text}
		p.i += 2
	case t.Kind == tkOp && t.Text == "(":
		j := p.i + 1
		for {
			n := p.toks[j]
			if n.Kind == tkOp && n.Text == ")" {
				break
			}
			if n.Kind != tkIdent {
				return nil, false, nil
			}
			// (string x) typed parameter: take the last identifier
			if p.toks[j+1].Kind == tkIdent {
				j++
				n = p.toks[j]
			}
			params = append(params, n.Text)
			j++
			if p.toks[j].Kind == tkOp && p.toks[j].Text == "," {
				j++
				continue
			}
			if !(p.toks[j].Kind == tkOp && p.toks[j].Text == ")") {
				return nil, false, nil
			}
		}
		if !(p.toks[j+1].Kind == tkOp && p.toks[j+1].Text == "=>") {
			return nil, false, nil
		}
		p.i = j + 2
	default:
		return nil, false, nil
	}
	l := &Lambda{node: node{Off: t.Off}, Params: params}
	if p.is("{") {
		b, err := p.block()
		if err != nil {
			return nil, true, err
		}
		l.Block = b
		return l, true, nil
	}
	body, err := p.expr()
	if err != nil {
		return nil, true, err
	}
	if th, ok := body.(*ThrowExpr); ok { // x => throw e: the body { throw e; }
		l.Block = throwBlock(th)
		return l, true, nil
	}
	l.Body = body
	return l, true, nil
}

func (p *parser) conditional() (Expr, error) {
	c, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if p.is("??") {
		t := p.advance()
		r, err := p.conditional() // right-associative, binds tighter than ?:
		if err != nil {
			return nil, err
		}
		// a ?? b ? x : y parses as (a ?? b) ? x : y only when written so; keep simple
		c = &Binary{node: node{Off: t.Off}, Op: "??", L: c, R: r}
		if _, ok := r.(*Cond); ok {
			// (a ?? b) ? x : y is how C# reads it
			rc := r.(*Cond)
			c = &Cond{node: node{Off: rc.Off}, C: &Binary{node: node{Off: t.Off}, Op: "??", L: c.(*Binary).L, R: rc.C}, A: rc.A, B: rc.B}
		}
		return c, nil
	}
	if p.is("?") {
		q := p.advance()
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(":"); err != nil {
			return nil, err
		}
		b, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &Cond{node: node{Off: q.Off}, C: c, A: a, B: b}, nil
	}
	return c, nil
}

var binPrec = map[string]int{
	"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
	"<": 7, ">": 7, "<=": 7, ">=": 7, "is": 7, "as": 7,
	"<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}

func (p *parser) binary(min int) (Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.Kind != tkOp && !(t.Kind == tkKeyword && (t.Text == "is" || t.Text == "as")) {
			return l, nil
		}
		op := t.Text
		if op == ">" && p.peekN(1).Kind == tkOp && p.peekN(1).Text == ">" && p.peekN(1).Off == t.Off+1 {
			op = ">>"
		}
		prec, ok := binPrec[op]
		if !ok || prec <= min {
			return l, nil
		}
		p.advance()
		if op == ">>" {
			p.advance()
		}
		if op == "is" || op == "as" {
			neg := false
			if op == "is" && p.peek().Kind == tkIdent && p.peek().Text == "not" {
				p.advance()
				neg = true
			}
			if op == "is" && p.is("null") {
				p.advance()
				var e Expr = &Binary{node: node{Off: t.Off}, Op: "==", L: l, R: &Lit{node: node{Off: t.Off}, Kind: tkKeyword}}
				if neg {
					e.(*Binary).Op = "!="
				}
				l = e
				continue
			}
			if op == "is" && p.constPattern() {
				// x is "a", x is 3, x is not -1: a constant pattern
				c, err := p.unary()
				if err != nil {
					return nil, err
				}
				l = &Binary{node: node{Off: t.Off, Ctx: p.ctx}, Op: "==", L: l, R: c, pattern: true}
				if neg {
					l = &Unary{node: node{Off: t.Off}, Op: "!", X: l}
				}
				continue
			}
			tr, err := p.typeRef()
			if err != nil {
				return nil, err
			}
			ia := &IsAs{node: node{Off: t.Off}, Op: op, X: l, To: tr}
			if op == "is" && p.peek().Kind == tkIdent && !neg {
				ia.Bind = p.advance().Text
				ia.Var = tr.Name == "var" && tr.Args == nil && tr.Array == 0 && !tr.Null
				if ia.Bind == "_" { // x is T _, x is var _: a discard
					ia.Bind = ""
				}
			}
			l = ia
			if neg {
				l = &Unary{node: node{Off: t.Off}, Op: "!", X: ia}
			}
			continue
		}
		r, err := p.binary(prec)
		if err != nil {
			return nil, err
		}
		l = &Binary{node: node{Off: t.Off, Ctx: p.ctx}, Op: op, L: l, R: r}
	}
}

// constPattern says whether what follows `is` (or `is not`) is a constant
// pattern written as a literal: a string, number, char, true or false,
// or a signed number.
func (p *parser) constPattern() bool {
	t := p.peek()
	switch t.Kind {
	case tkString, tkInt, tkReal, tkChar:
		return true
	case tkKeyword:
		return t.Text == "true" || t.Text == "false"
	case tkOp:
		n := p.peekN(1).Kind
		return (t.Text == "-" || t.Text == "+") && (n == tkInt || n == tkReal)
	}
	return false
}

var predefined = map[string]bool{
	"string": true, "int": true, "long": true, "bool": true, "double": true, "object": true, "char": true,
	"byte": true, "decimal": true, "float": true, "short": true, "uint": true, "ulong": true, "ushort": true, "sbyte": true, "dynamic": true,
}

func (p *parser) unary() (Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if t.Kind == tkOp {
		switch t.Text {
		case "!", "-", "+", "~":
			p.advance()
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			if l, ok := x.(*Lit); ok && t.Text == "-" && l.Kind == tkInt {
				// -2147483648 is an int and -9223372036854775808 a long
				// (C#'s exceptions to negating a uint or ulong literal)
				switch v := l.V.(type) {
				case int:
					switch {
					case l.IT == tUInt && int64(v) == 1<<31:
						l.V, l.IT, l.Off = -v, tInt, t.Off
						return l, nil
					case l.IT == tUInt:
						l.V, l.IT, l.Off = int64(-v), tLong, t.Off
						return l, nil
					case l.IT == tInt && v != math.MinInt32: // -(int.MinValue) overflows: the binder says so
						l.V, l.Off = -v, t.Off
						return l, nil
					}
				case int64:
					if v != math.MinInt64 {
						l.V, l.Off = -v, t.Off
						return l, nil
					}
				case uint64:
					if v == 1<<63 {
						l.V, l.IT, l.Off = int64(math.MinInt64), tLong, t.Off
						return l, nil
					}
				}
			}
			if l, ok := x.(*Lit); ok && t.Text == "-" {
				switch v := l.V.(type) {
				case float64:
					l.V, l.Off = -v, t.Off
					return l, nil
				}
			}
			return &Unary{node: node{Off: t.Off, Ctx: p.ctx}, Op: t.Text, X: x}, nil
		case "++", "--":
			p.advance()
			x, err := p.unary()
			if err != nil {
				return nil, err
			}
			return &Assign{node: node{Off: t.Off, Ctx: p.ctx}, Op: t.Text, Target: x}, nil
		case "(":
			if c, ok, err := p.tryCast(); ok || err != nil {
				return c, err
			}
		}
	}
	return p.postfix()
}

// tryCast parses (T)x when the tokens are a cast (Roslyn's rule: a
// predefined type, or a name followed by something that starts an operand).
func (p *parser) tryCast() (Expr, bool, error) {
	save := p.i
	open := p.advance()
	if p.peek().Kind != tkIdent {
		p.i = save
		return nil, false, nil
	}
	tr, err := p.typeRef()
	if err != nil || !p.is(")") {
		p.i = save
		return nil, false, nil
	}
	p.advance()
	n := p.peek()
	isCast := predefined[tr.Name] && n.Kind != tkOp
	if !isCast {
		switch n.Kind {
		case tkIdent, tkInt, tkReal, tkString, tkInterp, tkChar:
			isCast = true
		case tkKeyword:
			isCast = n.Text != "is" && n.Text != "as" && n.Text != "in"
		case tkOp:
			isCast = n.Text == "(" || n.Text == "!" || n.Text == "~"
		}
		if predefined[tr.Name] && n.Kind == tkOp && (n.Text == "-" || n.Text == "+") {
			isCast = true
		}
	}
	if !isCast {
		p.i = save
		return nil, false, nil
	}
	x, err := p.unary()
	if err != nil {
		return nil, true, err
	}
	return &Cast{node: node{Off: open.Off, Ctx: p.ctx}, To: tr, X: x}, true, nil
}

func (p *parser) postfix() (Expr, error) {
	x0, err := p.primary()
	if err != nil {
		return nil, err
	}
	x, err := p.postfixChain(x0)
	if err != nil {
		return nil, err
	}
	return p.condChains(x, x0), nil
}

// condChains rewrites a member-access chain whose ?. or ?[ is not its
// last link into a CondAccess, so that a null receiver short-circuits
// the rest of the chain as C# does: a?.b.c() is a == null ? null :
// tmp.b.c() with tmp = a. The chain's primary, x0, ends it: (a?.b).c
// keeps its parentheses' meaning.
func (p *parser) condChains(top, x0 Expr) Expr {
	// the spine, from the top down to the primary
	var spine []Expr
	for e := top; e != nil && e != x0; {
		spine = append(spine, e)
		switch n := e.(type) {
		case *Member:
			e = n.X
		case *Call:
			e = n.F
		case *Index:
			e = n.X
		default:
			e = nil
		}
	}
	// the first conditional link in evaluation order that has more of
	// the chain after it (a?.M() is one link: a method and its call)
	last := 0
	if c, ok := top.(*Call); ok && len(spine) > 1 && c.F == spine[1] {
		last = 1
	}
	for i := len(spine) - 1; i > last; i-- {
		var recv *Expr
		switch n := spine[i].(type) {
		case *Member:
			if n.Cond {
				recv, n.Cond = &n.X, false
			}
		case *Index:
			if n.Cond {
				recv, n.Cond = &n.X, false
			}
		}
		if recv == nil {
			continue
		}
		p.tmps++
		tmp := &Name{node: node{Off: spine[i].pos()}, Name: fmt.Sprintf("$cond%d", p.tmps)}
		x := *recv
		*recv = tmp
		return &CondAccess{node: node{Off: spine[i].pos()}, X: x, Tmp: tmp, Body: p.condChains(top, tmp)}
	}
	return top
}

// postfixChain parses the member accesses, calls, indexers and postfix
// operators after a primary.
func (p *parser) postfixChain(x Expr) (Expr, error) {
	for {
		t := p.peek()
		if t.Kind != tkOp {
			return x, nil
		}
		switch t.Text {
		case ".", "?.":
			p.advance()
			if p.is("[") && t.Text == "?." {
				p.advance()
				i, err := p.expr()
				if err != nil {
					return nil, err
				}
				if _, err := p.expect("]"); err != nil {
					return nil, err
				}
				x = &Index{node: node{Off: t.Off}, X: x, I: i, Cond: true}
				continue
			}
			nt := p.advance()
			if nt.Kind != tkIdent {
				return nil, p.errAt(nt, "identifier expected after %q, found %s", t.Text, desc(nt))
			}
			m := &Member{node: node{Off: nt.Off}, X: x, Name: nt.Text, NameOff: nt.Off, Cond: t.Text == "?."}
			if p.is("<") {
				save := p.i
				if args, ok := p.typeArgs(); ok && p.is("(") {
					m.TypeArgs = args
				} else {
					p.i = save
				}
			}
			x = m
		case "(":
			p.advance()
			args, err := p.args(")")
			if err != nil {
				return nil, err
			}
			x = &Call{node: node{Off: t.Off}, F: x, Args: args}
		case "[":
			p.advance()
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.is(",") {
				return nil, p.errAt(p.peek(), "multi-dimensional indexers are not supported")
			}
			if _, err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &Index{node: node{Off: t.Off}, X: x, I: i}
		case "?":
			// x?[i]: a '[' cannot start an operand, so this is no conditional operator
			if n := p.peekN(1); !(n.Kind == tkOp && n.Text == "[") {
				return x, nil
			}
			p.i += 2
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &Index{node: node{Off: t.Off}, X: x, I: i, Cond: true}
		case "++", "--":
			p.advance()
			x = &Assign{node: node{Off: x.pos(), Ctx: p.ctx}, Op: t.Text, Target: x, Post: true}
		case "!":
			// null-forgiving x! : ignored
			n := p.peekN(1)
			if n.Kind == tkOp && (n.Text == "." || n.Text == ")" || n.Text == ";" || n.Text == "[") {
				p.advance()
				continue
			}
			return x, nil
		default:
			return x, nil
		}
	}
}

// args parses call arguments up to close.
func (p *parser) args(close string) ([]*Arg, error) {
	var args []*Arg
	if p.accept(close) {
		return nil, nil
	}
	for {
		t := p.peek()
		a := &Arg{Off: t.Off}
		if t.Kind == tkIdent && p.peekN(1).Kind == tkOp && p.peekN(1).Text == ":" {
			a.Name = t.Text
			p.i += 2
		}
		if p.accept("out") || p.accept("ref") {
			a.Out = true
			if p.peek().Kind == tkIdent && p.peekN(1).Kind == tkIdent || p.is("var") {
				tr, err := p.typeRef()
				if err != nil {
					return nil, err
				}
				nt := p.advance()
				if nt.Kind != tkIdent {
					return nil, p.errAt(nt, "identifier expected, found %s", desc(nt))
				}
				a.OutVar, a.OutNew = tr, nt.Text
				if nt.Text == "_" { // out var _, out T _: a discard (C# 7), a local no name reaches
					a.OutNew = discardName(nt.Off)
				}
				a.X = &Name{node: node{Off: nt.Off}, Name: a.OutNew}
			} else {
				x, err := p.unary()
				if err != nil {
					return nil, err
				}
				a.X = x
			}
		} else {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			a.X = x
		}
		args = append(args, a)
		if p.accept(",") {
			continue
		}
		if _, err := p.expect(close); err != nil {
			return nil, err
		}
		return args, nil
	}
}

func (p *parser) primary() (Expr, error) {
	t := p.advance()
	switch t.Kind {
	case tkInt:
		return intLit(t)
	case tkReal:
		if t.Suf == "m" {
			return decimalLit(t)
		}
		v, err := strconv.ParseFloat(t.Text, 64)
		if err != nil {
			return nil, p.errAt(t, "invalid number %s", t.Text)
		}
		return &Lit{node: node{Off: t.Off}, V: v, Kind: tkReal}, nil
	case tkString:
		return &Lit{node: node{Off: t.Off}, V: t.Text, Kind: tkString}, nil
	case tkChar:
		return &Lit{node: node{Off: t.Off}, V: t.Text, Kind: tkChar}, nil
	case tkInterp:
		return p.interp(t)
	case tkIdent:
		if t.Text == "nameof" && p.is("(") {
			return p.nameOf(t)
		}
		if (t.Text == "unchecked" || t.Text == "checked") && p.is("(") {
			// checked(x) and unchecked(x): x, its arithmetic and
			// conversions marked with the context
			defer p.within(t.Text)()
			return p.parenExpr()
		}
		if (t.Text == "Comparer" || t.Text == "EqualityComparer") && p.is("<") {
			// Comparer<int>.Default: a static type named with its argument
			save := p.i
			if args, ok := p.typeArgs(); ok && len(args) == 1 && p.is(".") {
				a := args[0].String()
				if c, ok := comparerTypeAlias[a]; ok {
					a = c
				}
				return &Name{node: node{Off: t.Off}, Name: t.Text + "<" + a + ">"}, nil
			}
			p.i = save
		}
		return &Name{node: node{Off: t.Off}, Name: t.Text}, nil
	case tkKeyword:
		switch t.Text {
		case "true", "false":
			return &Lit{node: node{Off: t.Off}, V: t.Text == "true", Kind: tkKeyword}, nil
		case "null":
			return &Lit{node: node{Off: t.Off}, Kind: tkKeyword}, nil
		case "new":
			return p.newExpr(t)
		case "throw":
			// a throw expression (C# 7): throw null-coalescing-expression;
			// the binder allows it where C# does (CS8115 elsewhere)
			x, err := p.conditional()
			if err != nil {
				return nil, err
			}
			return &ThrowExpr{node: node{Off: t.Off}, X: x}, nil
		case "default":
			if !p.is("(") {
				// the default literal (C# 7.1): its type is its target's
				return &TypeOf{node: node{Off: t.Off}, Op: t.Text}, nil
			}
			fallthrough
		case "typeof":
			if _, err := p.expect("("); err != nil {
				return nil, err
			}
			tr, err := p.typeRef()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return &TypeOf{node: node{Off: t.Off}, Op: t.Text, To: tr}, nil
		}
	case tkOp:
		if t.Text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if n := p.peek(); n.Kind == tkOp && n.Text == "," || n.Kind == tkIdent && (p.peekN(1).Text == "," || p.peekN(1).Text == ")") && p.peekN(1).Kind == tkOp {
				// (1, "a"), (int n, string s) t, (int, string) F(): C# 7's
				// value tuples, which APIM's allowed types do not have
				return nil, tupleErr(t.Off)
			}
			if _, err := p.expect(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
	case tkEOF:
		return nil, p.errAt(t, "expression expected, found the end of the text")
	}
	if t.Kind == tkOp && t.Text == ">" && p.i > 1 {
		if prev := p.toks[p.i-2]; prev.Kind == tkOp && prev.Text == "<" && prev.Off+1 == t.Off {
			// VB's inequality, as APIM's validate-graphql-request example 2 writes it.
			return nil, p.errAt(t, "\"<>\" is not C#: write != for \"not equal\"")
		}
	}
	return nil, p.errAt(t, "invalid expression term %s", desc(t))
}

func intLit(t token) (Expr, error) {
	text := t.Text
	base := 10
	if strings.HasPrefix(text, "0x") || strings.HasPrefix(text, "0X") {
		text, base = text[2:], 16
	} else if strings.HasPrefix(text, "0b") || strings.HasPrefix(text, "0B") {
		text, base = text[2:], 2
	}
	u, err := strconv.ParseUint(text, base, 64)
	if err != nil {
		return nil, &SyntaxError{Off: t.Off, Msg: fmt.Sprintf("integral constant %s is too large", t.Text)}
	}
	// C#'s literal types: the first of int, uint, long, ulong that holds
	// the value (uint, ulong with U; long, ulong with L; ulong with UL)
	uns, lng := strings.Contains(t.Suf, "u"), strings.Contains(t.Suf, "l")
	lit := &Lit{node: node{Off: t.Off}, Kind: tkInt}
	switch {
	case !uns && !lng && u <= math.MaxInt32:
		lit.V, lit.IT = int(u), tInt
	case !lng && u <= math.MaxUint32:
		lit.V, lit.IT = int(u), tUInt
	case !uns && u <= math.MaxInt64:
		lit.V, lit.IT = int64(u), tLong
	default:
		lit.V, lit.IT = u, tULong
	}
	return lit, nil
}

func (p *parser) interp(t token) (Expr, error) {
	e := &Interp{node: node{Off: t.Off}}
	lit := ""
	for _, part := range t.Parts {
		if !part.IsHole {
			lit += part.Lit
			continue
		}
		sub, err := newParser(part.Expr, part.ExprOff)
		if err != nil {
			return nil, err
		}
		sub.ctx = p.ctx
		x, err := sub.expr()
		if err != nil {
			return nil, err
		}
		if n := sub.peek(); n.Kind != tkEOF {
			return nil, sub.errAt(n, "found %s in an interpolation hole (a ternary must be in parentheses)", desc(n))
		}
		e.Lits = append(e.Lits, lit)
		lit = ""
		e.Holes = append(e.Holes, x)
		e.Formats = append(e.Formats, part.Format)
	}
	e.Lits = append(e.Lits, lit)
	return e, nil
}

func (p *parser) newExpr(t token) (Expr, error) {
	n := &NewExpr{node: node{Off: t.Off}}
	if p.is("[") { // new[] { a, b }
		p.advance()
		if _, err := p.expect("]"); err != nil {
			return nil, err
		}
		init, err := p.initList()
		if err != nil {
			return nil, err
		}
		n.Init = init
		if n.Init == nil {
			n.Init = []Expr{}
		}
		return n, nil
	}
	if p.is("{") { // anonymous object new { a = 1, b }
		p.advance()
		for !p.accept("}") {
			nt := p.peek()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			name := ""
			switch v := x.(type) {
			case *Assign:
				if nm, ok := v.Target.(*Name); ok && v.Op == "=" {
					name, x = nm.Name, v.X
				}
			case *Name:
				name = v.Name
			case *Member:
				name = v.Name
			}
			if name == "" {
				return nil, p.errAt(nt, "invalid anonymous type member declarator")
			}
			n.Props = append(n.Props, name)
			n.Vals = append(n.Vals, x)
			if !p.accept(",") {
				if _, err := p.expect("}"); err != nil {
					return nil, err
				}
				break
			}
		}
		return n, nil
	}
	tr, err := p.typeRef()
	if err != nil {
		return nil, err
	}
	n.Type = tr
	if p.is("[") && tr.Array == 0 { // new string[n]: a sized array
		p.advance()
		size, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect("]"); err != nil {
			return nil, err
		}
		at := *tr
		at.Array = 1
		for p.is("[") && p.peekN(1).Kind == tkOp && p.peekN(1).Text == "]" { // new int[2][]: a jagged array, its rows null
			p.advance()
			p.advance()
			at.Array++
		}
		n.Type = &at
		if p.is("{") { // new string[2] { "a", "b" }: the elements say it
			init, err := p.initList()
			n.Init = init
			return n, err
		}
		n.Args, n.Sized = []*Arg{{Off: size.pos(), X: size}}, true
		return n, nil
	}
	if p.accept("(") {
		if n.Args, err = p.args(")"); err != nil {
			return nil, err
		}
	} else if !p.is("{") {
		return nil, p.errAt(p.peek(), "'(' or '{' expected after new %s", tr)
	}
	if p.is("{") {
		if err := p.objectInit(n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// objectInit parses the initializer after new T(...): a collection
// initializer { a, b }, or a dictionary's: { { k, v }, ... } (Add) or
// { [k] = v, ... } (the indexer). The forms do not mix.
func (p *parser) objectInit(n *NewExpr) error {
	if !p.is("{") {
		return nil
	}
	if next := p.peekN(1); next.Kind != tkOp || next.Text != "{" && next.Text != "[" {
		init, err := p.initList()
		n.Init = init
		return err
	}
	p.advance()
	for !p.accept("}") {
		t := p.peek()
		var k, v Expr
		switch {
		case p.is("{"):
			pair, err := p.initList()
			if err != nil {
				return err
			}
			if len(pair) != 2 {
				return p.errAt(t, "a dictionary initializer element needs a key and a value: { key, value }")
			}
			k, v = pair[0], pair[1]
			n.DictAdd = true
		case p.accept("["):
			var err error
			if k, err = p.expr(); err != nil {
				return err
			}
			if _, err := p.expect("]"); err != nil {
				return err
			}
			if _, err := p.expect("="); err != nil {
				return err
			}
			if v, err = p.expr(); err != nil {
				return err
			}
			n.DictIndex = true
		default:
			return p.errAt(t, "'{' or '[' expected in a dictionary initializer")
		}
		if n.DictAdd && n.DictIndex {
			return p.errAt(t, "a dictionary initializer uses either { key, value } or [key] = value, not both")
		}
		n.DictKeys = append(n.DictKeys, k)
		n.DictVals = append(n.DictVals, v)
		if !p.accept(",") {
			if _, err := p.expect("}"); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// initList parses { a, b, c } (collection or array initializer).
func (p *parser) initList() ([]Expr, error) {
	if _, err := p.expect("{"); err != nil {
		return nil, err
	}
	var out []Expr
	for !p.accept("}") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
		if !p.accept(",") {
			if _, err := p.expect("}"); err != nil {
				return nil, err
			}
			break
		}
	}
	return out, nil
}

// parenExpr reads "(" expression ")", as if, while, switch and the like
// write their condition.
// within sets the checked/unchecked context until the returned func runs.
func (p *parser) within(kw string) func() {
	saved := p.ctx
	p.ctx = ctxUnchecked
	if kw == "checked" {
		p.ctx = ctxChecked
	}
	return func() { p.ctx = saved }
}

func (p *parser) parenExpr() (Expr, error) {
	if _, err := p.expect("("); err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(")"); err != nil {
		return nil, err
	}
	return e, nil
}
