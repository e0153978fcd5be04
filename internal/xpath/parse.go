package xpath

import (
	"fmt"
	"strconv"
)

// Error is a compile error in an expression or pattern.
type Error struct {
	Expr   string
	Offset int // 0-based byte offset in Expr
	Msg    string
}

func (e *Error) Error() string {
	return "XPath " + strconv.Quote(e.Expr) + ": column " + strconv.Itoa(e.Offset+1) + ": " + e.Msg
}

// maxHeight bounds the nesting of a compiled expression, so that neither
// the parser nor the evaluator (both recursive) can exhaust the stack.
const maxHeight = 256

// Compile compiles an XPath 1.0 expression. QName prefixes, variables and
// host functions are resolved through env, which may be nil (no prefixes,
// no variables, core functions only).
func Compile(expr string, env Env) (*Expr, error) {
	p, perr := newParser(expr, env)
	if perr != nil {
		return nil, perr
	}
	root, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected("end of expression")
	}
	return &Expr{src: expr, root: root}, nil
}

type parser struct {
	src   string
	env   Env
	toks  []token
	i     int
	depth int
}

func newParser(src string, env Env) (*parser, *Error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	return &parser{src: src, env: env, toks: toks}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(pos int, format string, args ...any) *Error {
	return &Error{Expr: p.src, Offset: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unexpected(want string) *Error {
	t := p.peek()
	return p.errAt(t.pos, "expected %s, found %s", want, t.describe(p.src))
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOperator && t.s == s
}

func (p *parser) expect(k tokKind) (token, *Error) {
	if p.peek().kind != k {
		return token{}, p.unexpected(tokNames[k])
	}
	return p.next(), nil
}

// check rejects a node nested deeper than maxHeight.
func (p *parser) check(n exprNode, pos int) (exprNode, error) {
	if n.height() > maxHeight {
		return nil, p.errAt(pos, "expression nested more than %d deep", maxHeight)
	}
	return n, nil
}

// resolve maps a QName's prefix to its namespace URI.
func (p *parser) resolve(t token) (string, *Error) {
	if t.prefix == "" {
		return "", nil
	}
	if p.env != nil {
		if uri, ok := p.env.Namespace(t.prefix); ok {
			return uri, nil
		}
	}
	return "", p.errAt(t.pos, "undeclared namespace prefix %q", t.prefix)
}

// parseExpr: Expr ::= OrExpr
func (p *parser) parseExpr() (exprNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxHeight {
		return nil, p.errAt(p.peek().pos, "expression nested more than %d deep", maxHeight)
	}
	return p.parseLogical(true)
}

// parseLogical parses OrExpr (or true) and AndExpr (or false) as n-ary nodes.
func (p *parser) parseLogical(or bool) (exprNode, error) {
	op, sub := "and", func() (exprNode, error) { return p.parseEquality() }
	if or {
		op, sub = "or", func() (exprNode, error) { return p.parseLogical(false) }
	}
	pos := p.peek().pos
	first, err := sub()
	if err != nil || !p.isOp(op) {
		return first, err
	}
	args := []exprNode{first}
	for p.isOp(op) {
		p.next()
		x, err := sub()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	return p.check(&logicalExpr{or: or, args: args, h: 1 + maxH(args...)}, pos)
}

func (p *parser) parseBinary(ops []string, sub func() (exprNode, error)) (exprNode, error) {
	pos := p.peek().pos
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op := ""
		if t.kind == tOperator {
			for _, o := range ops {
				if t.s == o {
					op = o
				}
			}
		}
		if op == "" {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		if l, err = p.check(&binaryExpr{op: binOps[op], l: l, r: r, h: 1 + maxH(l, r)}, pos); err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseEquality() (exprNode, error) {
	return p.parseBinary([]string{"=", "!="}, p.parseRelational)
}

func (p *parser) parseRelational() (exprNode, error) {
	return p.parseBinary([]string{"<", "<=", ">", ">="}, p.parseAdditive)
}

func (p *parser) parseAdditive() (exprNode, error) {
	return p.parseBinary([]string{"+", "-"}, p.parseMultiplicative)
}

func (p *parser) parseMultiplicative() (exprNode, error) {
	return p.parseBinary([]string{"*", "div", "mod"}, p.parseUnary)
}

// parseUnary: UnaryExpr ::= UnionExpr | '-' UnaryExpr
func (p *parser) parseUnary() (exprNode, error) {
	pos := p.peek().pos
	n := 0
	for p.isOp("-") {
		p.next()
		n++
		if n > maxHeight {
			return nil, p.errAt(pos, "expression nested more than %d deep", maxHeight)
		}
	}
	x, err := p.parseUnion()
	if err != nil {
		return nil, err
	}
	for ; n > 0; n-- {
		if x, err = p.check(&negExpr{x: x, h: 1 + x.height()}, pos); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// parseUnion: UnionExpr ::= PathExpr ('|' PathExpr)*
func (p *parser) parseUnion() (exprNode, error) {
	pos := p.peek().pos
	first, err := p.parsePath()
	if err != nil || !p.isOp("|") {
		return first, err
	}
	args := []exprNode{first}
	for p.isOp("|") {
		p.next()
		x, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		args = append(args, x)
	}
	return p.check(&unionExpr{args: args, h: 1 + maxH(args...)}, pos)
}

// startsStep reports whether the next token can begin a Step.
func (p *parser) startsStep() bool {
	switch p.peek().kind {
	case tNameTest, tNodeType, tAxisName, tAt, tDot, tDotDot:
		return true
	}
	return false
}

// parsePath: PathExpr ::= LocationPath | FilterExpr (('/' | '//') RelativeLocationPath)?
func (p *parser) parsePath() (exprNode, error) {
	t := p.peek()
	switch t.kind {
	case tVariable, tLParen, tLiteral, tNumber, tFuncName:
		f, err := p.parseFilter()
		if err != nil {
			return nil, err
		}
		if !p.isOp("/") && !p.isOp("//") {
			return f, nil
		}
		path := &pathExpr{filter: f}
		if err := p.parseRelative(path); err != nil {
			return nil, err
		}
		return p.finishPath(path, t.pos)
	}
	path := &pathExpr{}
	switch {
	case p.isOp("/"):
		p.next()
		path.abs = true
		if !p.startsStep() {
			return p.finishPath(path, t.pos)
		}
		if err := p.parseSteps(path); err != nil {
			return nil, err
		}
	case p.isOp("//"):
		path.abs = true
		if err := p.parseRelative(path); err != nil {
			return nil, err
		}
	default:
		if !p.startsStep() {
			return nil, p.unexpected("an expression")
		}
		if err := p.parseSteps(path); err != nil {
			return nil, err
		}
	}
	return p.finishPath(path, t.pos)
}

// parseRelative parses ('/' | '//') RelativeLocationPath.
func (p *parser) parseRelative(path *pathExpr) error {
	if p.next().s == "//" {
		path.steps = append(path.steps, descOrSelfStep())
	}
	if !p.startsStep() {
		return p.unexpected("a location step")
	}
	return p.parseSteps(path)
}

func descOrSelfStep() *step {
	return &step{axis: axDescendantOrSelf, test: nodeTest{kind: testNode}}
}

// parseSteps: RelativeLocationPath ::= Step (('/' | '//') Step)*
func (p *parser) parseSteps(path *pathExpr) error {
	for {
		st, err := p.parseStep()
		if err != nil {
			return err
		}
		path.steps = append(path.steps, st)
		switch {
		case p.isOp("/"):
			p.next()
		case p.isOp("//"):
			p.next()
			path.steps = append(path.steps, descOrSelfStep())
		default:
			return nil
		}
		if !p.startsStep() {
			return p.unexpected("a location step")
		}
	}
}

// parseStep: Step ::= AxisSpecifier NodeTest Predicate* | '.' | '..'
func (p *parser) parseStep() (*step, error) {
	t := p.next()
	st := &step{axis: axChild}
	switch t.kind {
	case tDot:
		st.axis, st.test.kind = axSelf, testNode
		return st, nil
	case tDotDot:
		st.axis, st.test.kind = axParent, testNode
		return st, nil
	case tAt:
		st.axis = axAttribute
	case tAxisName:
		st.axis = axisNames[t.s]
		if _, err := p.expect(tColonColon); err != nil {
			return nil, err
		}
	default:
		p.i--
	}
	test, err := p.parseNodeTest()
	if err != nil {
		return nil, err
	}
	st.test = test
	for p.peek().kind == tLBracket {
		pr, err := p.parsePredicate()
		if err != nil {
			return nil, err
		}
		st.preds = append(st.preds, pr)
	}
	return st, nil
}

// parseNodeTest: NodeTest ::= NameTest | NodeType '(' ')' | 'processing-instruction' '(' Literal ')'
func (p *parser) parseNodeTest() (nodeTest, error) {
	t := p.peek()
	switch t.kind {
	case tNameTest:
		p.next()
		if t.local == "*" && t.prefix == "" {
			return nodeTest{kind: testAny}, nil
		}
		uri, err := p.resolve(t)
		if err != nil {
			return nodeTest{}, err
		}
		if t.local == "*" {
			return nodeTest{kind: testSpace, space: uri}, nil
		}
		return nodeTest{kind: testName, space: uri, local: t.local}, nil
	case tNodeType:
		p.next()
		if _, err := p.expect(tLParen); err != nil {
			return nodeTest{}, err
		}
		nt := nodeTest{}
		switch t.s {
		case "node":
			nt.kind = testNode
		case "text":
			nt.kind = testText
		case "comment":
			nt.kind = testComment
		case "processing-instruction":
			nt.kind = testPI
			if p.peek().kind == tLiteral {
				nt.local, nt.hasTarget = p.next().s, true
			}
		}
		if _, err := p.expect(tRParen); err != nil {
			return nodeTest{}, err
		}
		return nt, nil
	}
	return nodeTest{}, p.unexpected("a node test")
}

// parsePredicate: Predicate ::= '[' Expr ']'
func (p *parser) parsePredicate() (exprNode, error) {
	p.next()
	x, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRBracket); err != nil {
		return nil, err
	}
	return x, nil
}

// parseFilter: FilterExpr ::= PrimaryExpr Predicate*
func (p *parser) parseFilter() (exprNode, error) {
	pos := p.peek().pos
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != tLBracket {
		return x, nil
	}
	f := &filterExpr{primary: x}
	for p.peek().kind == tLBracket {
		pr, err := p.parsePredicate()
		if err != nil {
			return nil, err
		}
		f.preds = append(f.preds, pr)
	}
	f.h = 1 + maxH(append([]exprNode{x}, f.preds...)...)
	return p.check(f, pos)
}

// parsePrimary: PrimaryExpr ::= VariableReference | '(' Expr ')' | Literal | Number | FunctionCall
func (p *parser) parsePrimary() (exprNode, error) {
	t := p.peek()
	if t.kind != tEOF {
		p.next()
	}
	switch t.kind {
	case tVariable:
		uri, err := p.resolve(t)
		if err != nil {
			return nil, err
		}
		if p.env == nil || !p.env.Variable(uri, t.local) {
			return nil, p.errAt(t.pos, "variable %s is not in scope", p.src[t.pos:t.end])
		}
		return &varRef{space: uri, local: t.local, name: p.src[t.pos:t.end]}, nil
	case tLParen:
		x, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return x, nil
	case tLiteral:
		return &literal{v: t.s}, nil
	case tNumber:
		return &literal{v: t.num}, nil
	case tFuncName:
		return p.parseCall(t)
	case tEOF:
		return nil, p.unexpected("an expression")
	}
	p.i--
	return nil, p.unexpected("an expression")
}

// parseCall: FunctionCall ::= FunctionName '(' ( Argument ( ',' Argument )* )? ')'
func (p *parser) parseCall(t token) (exprNode, error) {
	name := p.src[t.pos:t.end]
	call := &funcCall{name: name}
	var host *Function
	if t.prefix == "" {
		if cf, ok := coreFuncs[t.local]; ok {
			call.core = cf
		}
	}
	if call.core == nil {
		uri, err := p.resolve(t)
		if err != nil {
			return nil, err
		}
		if p.env != nil {
			host = p.env.Function(uri, t.local)
		}
		if host == nil {
			return nil, p.errAt(t.pos, "unknown function %s()", name)
		}
		call.host = host
	}
	p.next() // '('
	if p.peek().kind != tRParen {
		for {
			x, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			call.args = append(call.args, x)
			if p.peek().kind != tComma {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect(tRParen); err != nil {
		return nil, err
	}
	minArgs, maxArgs := 0, 0
	if call.core != nil {
		minArgs, maxArgs = call.core.min, call.core.max
	} else {
		minArgs, maxArgs = host.MinArgs, host.MaxArgs
	}
	if n := len(call.args); n < minArgs || maxArgs >= 0 && n > maxArgs {
		return nil, p.errAt(t.pos, "%s() takes %s, not %d", name, arity(minArgs, maxArgs), n)
	}
	call.h = 1 + maxH(call.args...)
	return p.check(call, t.pos)
}

func arity(minArgs, maxArgs int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case maxArgs < 0:
		return "at least " + plural(minArgs)
	case minArgs == maxArgs:
		return plural(minArgs)
	case maxArgs == minArgs+1:
		return strconv.Itoa(minArgs) + " or " + plural(maxArgs)
	}
	return strconv.Itoa(minArgs) + " to " + plural(maxArgs)
}

// finishPath computes the path's height and applies the rewrite of
// descendant-or-self::node()/child::T[p] into descendant::T[p] when no
// predicate depends on the context position or size (XPath 1.0 notes that
// the two differ only in the positions predicates see).
func (p *parser) finishPath(path *pathExpr, pos int) (exprNode, error) {
	out := path.steps[:0]
	for k := 0; k < len(path.steps); k++ {
		st := path.steps[k]
		if st.axis == axDescendantOrSelf && st.test.kind == testNode && len(st.preds) == 0 && k+1 < len(path.steps) {
			nx := path.steps[k+1]
			if nx.axis == axChild && !anyPositional(nx.preds) {
				out = append(out, &step{axis: axDescendant, test: nx.test, preds: nx.preds})
				k++
				continue
			}
		}
		out = append(out, st)
	}
	path.steps = out
	h := 0
	if path.filter != nil {
		h = path.filter.height()
	}
	for _, st := range path.steps {
		h = max(h, maxH(st.preds...))
	}
	path.h = h + 1
	return p.check(path, pos)
}

func maxH(xs ...exprNode) int {
	h := 0
	for _, x := range xs {
		h = max(h, x.height())
	}
	return h
}
