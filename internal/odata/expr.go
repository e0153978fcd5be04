package odata

import (
	"strings"
)

// The common expression syntax ($filter, $orderby, $compute, the values of
// parameter aliases), parsed and type-checked against the model: every
// path must name properties of the type it starts from, operators must
// get operands they can take (a service "MUST reject the request" when it
// can infer a type mismatch, URL Conventions 5.1.1), built-in functions
// their arity and argument types.

// MaxDepth bounds the nesting of an expression (parentheses, function
// calls, lambdas, unary operators): deeper is an error, never a deep stack.
const MaxDepth = 100

// etype is an expression's type, as far as the model tells it.
type etype struct {
	t       *Type // nil: not known (a dynamic property, an alias without a value, an external type)
	coll    bool
	null    bool    // the null literal
	lit     bool    // a literal
	integer bool    // an integer literal: fits any numeric type
	str     *string // a string literal's value
}

func prim(n string) etype { return etype{t: Edm(n)} }

var (
	tBool    = prim("Boolean")
	tUnknown = etype{}
)

func (e etype) known() bool {
	return e.t != nil && e.t.Kind != KindExternal && !(e.t.Namespace == "Edm" && (e.t.Name == "Untyped" || e.t.Name == "PrimitiveType"))
}

// base is the type a type definition stands for.
func base(t *Type) *Type {
	if t != nil && t.Kind == KindTypeDef && t.Underlying != nil {
		return t.Underlying
	}
	return t
}

func (e etype) name() string {
	switch {
	case e.null:
		return "null"
	case e.t == nil:
		return "a value of unknown type"
	case e.coll:
		return "Collection(" + e.t.QName() + ")"
	}
	return e.t.QName()
}

func primName(e etype) string {
	if e.coll || e.t == nil {
		return ""
	}
	t := base(e.t)
	if t.Kind != KindPrimitive {
		return ""
	}
	return t.Name
}

func isNumeric(e etype) bool {
	switch primName(e) {
	case "Byte", "SByte", "Int16", "Int32", "Int64", "Decimal", "Double", "Single":
		return true
	}
	return false
}

func is(e etype, names ...string) bool {
	n := primName(e)
	for _, x := range names {
		if n == x {
			return true
		}
	}
	return false
}

func isGeo(e etype) bool {
	n := primName(e)
	return strings.HasPrefix(n, "Geography") || strings.HasPrefix(n, "Geometry")
}

// loose: null, or a type the model does not describe: anything goes.
func loose(e etype) bool { return e.null || !e.known() }

// comparable reports whether a and b may be compared with eq/ne (order
// says lt/le/gt/ge).
func comparable(a, b etype, order bool) bool {
	if loose(a) || loose(b) {
		return true
	}
	if a.coll || b.coll {
		return false
	}
	ta, tb := base(a.t), base(b.t)
	switch {
	case ta.IsStructured() || tb.IsStructured():
		return !order && ta.IsStructured() && tb.IsStructured()
	case ta.Kind == KindEnum || tb.Kind == KindEnum:
		if ta == tb {
			return true
		}
		// 4.01: an enum value may be written as a plain string literal.
		en, other := ta, b
		if tb.Kind == KindEnum {
			en, other = tb, a
		}
		return other.str != nil && en.Kind == KindEnum && checkEnumValue(en, *other.str) == ""
	case isNumeric(a) && isNumeric(b):
		return true
	case is(a, "Date", "DateTimeOffset") && is(b, "Date", "DateTimeOffset"):
		return true
	case is(a, "Duration") && b.str != nil:
		return validDuration(*b.str)
	case is(b, "Duration") && a.str != nil:
		return validDuration(*a.str)
	case isGeo(a) || isGeo(b) || is(a, "Stream") || is(b, "Stream"):
		return false
	}
	return ta == tb
}

// checker parses and checks one expression.
type checker struct {
	m     *Model
	toks  []token
	i     int
	depth int
	v401  bool
	it    etype // $it: the resource path's (element) type
	this  etype // the instance the option is evaluated on ($this; paths start here)
	vars  []lambdaVar
	q     *queryCtx // aliases and computed properties of the request
}

type lambdaVar struct {
	name string
	t    etype
}

func (c *checker) peek() token        { return c.toks[c.i] }
func (c *checker) peekAt(n int) token { return c.toks[min(c.i+n, len(c.toks)-1)] }
func (c *checker) next() token {
	t := c.toks[c.i]
	if c.i < len(c.toks)-1 {
		c.i++
	}
	return t
}

func (c *checker) isPunct(s string) bool { t := c.peek(); return t.kind == tPunct && t.text == s }

func (c *checker) expect(s string) *SyntaxError {
	t := c.peek()
	if t.kind != tPunct || t.text != s {
		return errAt(t.pos, "expected %q, found %s", s, describe(t))
	}
	c.next()
	return nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end"
	case tString:
		return "'" + clip(t.text) + "'"
	case tTyped:
		return t.prefix + "'" + clip(t.text) + "'"
	case tAlias:
		return "@" + t.text
	case tJSONStr:
		return "\"" + clip(t.text) + "\""
	}
	return "\"" + clip(t.text) + "\""
}

// clip shortens what an error quotes of the request.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// keyword reports whether t is the word kw: lower case in 4.0,
// case-insensitive in 4.01 ("4.01 services MUST support case-insensitive
// operator names").
func (c *checker) keyword(t token, kw string) bool {
	if t.kind != tIdent {
		return false
	}
	if c.v401 {
		return strings.EqualFold(t.text, kw)
	}
	return t.text == kw
}

func (c *checker) enter(pos int) *SyntaxError {
	c.depth++
	if c.depth > MaxDepth {
		return errAt(pos, "the expression nests deeper than %d", MaxDepth)
	}
	return nil
}

// binaryOp reports whether the next token is one of ops, as a binary
// operator (whitespace on both sides).
func (c *checker) binaryOp(ops ...string) (string, bool) {
	t := c.peek()
	if t.kind != tIdent || !t.space {
		return "", false
	}
	for _, op := range ops {
		if c.keyword(t, op) {
			if n := c.peekAt(1); !n.space && n.kind != tEOF {
				return "", false
			}
			return op, true
		}
	}
	return "", false
}

// parseAll parses a whole value as one expression.
func (c *checker) parseAll() (etype, *SyntaxError) {
	e, err := c.parseExpr()
	if err != nil {
		return e, err
	}
	if t := c.peek(); t.kind != tEOF {
		return e, errAt(t.pos, "unexpected %s after the expression (operators need spaces around them)", describe(t))
	}
	return e, nil
}

func (c *checker) parseExpr() (etype, *SyntaxError) { return c.parseOr() }

func (c *checker) parseOr() (etype, *SyntaxError) {
	l, err := c.parseAnd()
	for err == nil {
		t := c.peek()
		if _, ok := c.binaryOp("or"); !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseAnd(); err == nil {
			err = c.boolOperands(t, l, r)
			l = tBool
		}
	}
	return l, err
}

func (c *checker) parseAnd() (etype, *SyntaxError) {
	l, err := c.parseEq()
	for err == nil {
		t := c.peek()
		if _, ok := c.binaryOp("and"); !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseEq(); err == nil {
			err = c.boolOperands(t, l, r)
			l = tBool
		}
	}
	return l, err
}

func (c *checker) boolOperands(op token, l, r etype) *SyntaxError {
	for _, e := range []etype{l, r} {
		if !loose(e) && !is(e, "Boolean") {
			return errAt(op.pos, "%s needs Boolean operands, not %s", strings.ToLower(op.text), e.name())
		}
	}
	return nil
}

func (c *checker) parseEq() (etype, *SyntaxError) {
	l, err := c.parseRel()
	for err == nil {
		t := c.peek()
		if _, ok := c.binaryOp("eq", "ne"); !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseRel(); err == nil {
			if !comparable(l, r, false) {
				err = errAt(t.pos, "cannot compare %s with %s", l.name(), r.name())
			}
			l = tBool
		}
	}
	return l, err
}

func (c *checker) parseRel() (etype, *SyntaxError) {
	l, err := c.parseAdd()
	for err == nil {
		t := c.peek()
		if _, ok := c.binaryOp("gt", "ge", "lt", "le"); !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseAdd(); err == nil {
			if !comparable(l, r, true) {
				err = errAt(t.pos, "cannot order %s against %s", l.name(), r.name())
			}
			l = tBool
		}
	}
	return l, err
}

func (c *checker) parseAdd() (etype, *SyntaxError) {
	l, err := c.parseMul()
	for err == nil {
		t := c.peek()
		op, ok := c.binaryOp("add", "sub")
		if !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseMul(); err == nil {
			l, err = arith(t, op, l, r)
		}
	}
	return l, err
}

func (c *checker) parseMul() (etype, *SyntaxError) {
	l, err := c.parseUnary()
	for err == nil {
		t := c.peek()
		op, ok := c.binaryOp("mul", "div", "divby", "mod")
		if !ok {
			break
		}
		c.next()
		var r etype
		if r, err = c.parseUnary(); err == nil {
			l, err = arith(t, op, l, r)
		}
	}
	return l, err
}

// arith is the type of l op r.
func arith(t token, op string, l, r etype) (etype, *SyntaxError) {
	bad := func() (etype, *SyntaxError) {
		return etype{}, errAt(t.pos, "%s cannot take %s and %s", op, l.name(), r.name())
	}
	if loose(l) && loose(r) {
		return tUnknown, nil
	}
	if l.coll || r.coll {
		return bad()
	}
	switch {
	case isNumeric(l) && isNumeric(r), isNumeric(l) && loose(r), loose(l) && isNumeric(r):
		if op == "divby" {
			return prim("Decimal"), nil
		}
		if isNumeric(l) {
			if isNumeric(r) && !r.integer && l.integer {
				return etype{t: r.t}, nil
			}
			return etype{t: l.t}, nil
		}
		return etype{t: r.t}, nil
	case op == "add" || op == "sub":
		switch {
		case is(l, "DateTimeOffset", "Date") && (is(r, "Duration") || loose(r)):
			return etype{t: l.t}, nil
		case is(l, "Duration") && (is(r, "Duration") || loose(r)):
			return prim("Duration"), nil
		case op == "add" && loose(l) && is(r, "Duration"):
			return tUnknown, nil
		case op == "sub" && is(l, "DateTimeOffset", "Date") && is(r, "DateTimeOffset", "Date"):
			return prim("Duration"), nil
		case op == "sub" && loose(l) && is(r, "DateTimeOffset", "Date", "Duration"):
			return tUnknown, nil
		}
	case op == "mul" || op == "div":
		if (is(l, "Duration") && (isNumeric(r) || loose(r))) || (op == "mul" && isNumeric(l) && is(r, "Duration")) {
			return prim("Duration"), nil
		}
	}
	return bad()
}

func (c *checker) parseUnary() (etype, *SyntaxError) {
	t := c.peek()
	if err := c.enter(t.pos); err != nil {
		return etype{}, err
	}
	defer func() { c.depth-- }()
	if t.kind == tPunct && t.text == "-" {
		n := c.peekAt(1)
		if !n.space && n.kind == tNumber {
			c.next()
			c.next()
			l, ok := numberLiteral(n.text)
			if !ok || !(isNumeric(etype{t: l.t}) || l.t.Name == "Date" || l.t.Name == "DateTimeOffset") {
				return etype{}, errAt(n.pos, "malformed literal -%s", clip(n.text))
			}
			return c.postfix(etype{t: l.t, lit: true, integer: l.integer})
		}
		if !n.space && n.kind == tIdent && n.text == "INF" {
			c.next()
			c.next()
			return c.postfix(etype{t: Edm("Double"), lit: true})
		}
		c.next()
		e, err := c.parseUnary()
		if err != nil {
			return e, err
		}
		if !loose(e) && !isNumeric(e) && !is(e, "Duration") {
			return e, errAt(t.pos, "cannot negate %s", e.name())
		}
		return etype{t: e.t}, nil
	}
	if c.keyword(t, "not") {
		n := c.peekAt(1)
		if n.space || (n.kind == tPunct && n.text == "(") {
			c.next()
			e, err := c.parseUnary()
			if err != nil {
				return e, err
			}
			if !loose(e) && !is(e, "Boolean") {
				return e, errAt(t.pos, "not needs a Boolean operand, not %s", e.name())
			}
			return tBool, nil
		}
	}
	e, err := c.parsePrimary()
	if err != nil {
		return e, err
	}
	return c.postfix(e)
}

// postfix handles has and in after an operand (primary precedence).
func (c *checker) postfix(l etype) (etype, *SyntaxError) {
	for {
		t := c.peek()
		op, ok := c.binaryOp("has", "in")
		if !ok {
			return l, nil
		}
		c.next()
		switch op {
		case "has":
			r := c.next()
			var re etype
			switch r.kind {
			case tTyped:
				var err *SyntaxError
				if re, err = c.typedLiteral(r); err != nil {
					return l, err
				}
				if re.t == nil || re.t.Kind != KindEnum {
					return l, errAt(r.pos, "has needs an enum literal on its right, not %s", re.name())
				}
			case tString:
				s := r.text
				re = etype{t: Edm("String"), lit: true, str: &s}
			case tAlias:
				re = tUnknown
			default:
				return l, errAt(r.pos, "has needs an enum literal on its right (Namespace.EnumType'Member'), not %s", describe(r))
			}
			if !loose(l) {
				lt := base(l.t)
				if l.coll || lt.Kind != KindEnum {
					return l, errAt(t.pos, "has needs an enum value on its left, not %s", l.name())
				}
				if re.t != nil && re.t.Kind == KindEnum && re.t != lt {
					return l, errAt(r.pos, "has: %s is not a value of %s", re.name(), lt.QName())
				}
				if re.str != nil {
					if msg := checkEnumValue(lt, *re.str); msg != "" {
						return l, errAt(r.pos, "%s", msg)
					}
				}
			}
			l = tBool
		case "in":
			if c.isPunct("(") {
				open := c.next()
				if err := c.enter(open.pos); err != nil {
					return l, err
				}
				for !c.isPunct(")") {
					e, err := c.parseExpr()
					if err != nil {
						return l, err
					}
					if !comparable(l, e, false) {
						return l, errAt(open.pos, "in: cannot compare %s with %s", l.name(), e.name())
					}
					if c.isPunct(",") {
						c.next()
						continue
					}
					if !c.isPunct(")") {
						return l, errAt(c.peek().pos, "expected \",\" or \")\" in the list of in, found %s", describe(c.peek()))
					}
				}
				c.next()
				c.depth--
			} else {
				r, err := c.parsePrimary()
				if err != nil {
					return l, err
				}
				if !loose(r) && !r.coll {
					return l, errAt(t.pos, "in needs a list (a, b), a JSON array or a collection on its right, not %s", r.name())
				}
				if r.coll && r.t != nil && !comparable(l, etype{t: r.t}, false) {
					return l, errAt(t.pos, "in: cannot compare %s with the items of %s", l.name(), r.name())
				}
			}
			l = tBool
		}
	}
}

func (c *checker) parsePrimary() (etype, *SyntaxError) {
	t := c.peek()
	switch t.kind {
	case tEOF:
		return etype{}, errAt(t.pos, "an expression was expected")
	case tString:
		c.next()
		s := t.text
		return etype{t: Edm("String"), lit: true, str: &s}, nil
	case tTyped:
		c.next()
		return c.typedLiteral(t)
	case tNumber:
		c.next()
		l, ok := numberLiteral(t.text)
		if !ok {
			return etype{}, errAt(t.pos, "malformed literal %s (numbers, dates 2012-12-03, date-times 2012-12-03T07:16:23Z, times 07:59:59, GUIDs)", clip(t.text))
		}
		return etype{t: l.t, lit: true, integer: l.integer}, nil
	case tJSONStr:
		return etype{}, errAt(t.pos, "a \"string\" stands in a JSON array or object only: OData strings are written 'text'")
	case tAlias:
		c.next()
		e, err := c.aliasType(t)
		if err != nil {
			return e, err
		}
		return c.pathFrom(e)
	case tDollar:
		c.next()
		switch t.text {
		case "$it":
			return c.pathFrom(c.it)
		case "$this":
			return c.pathFrom(c.this)
		case "$root":
			return c.rootPath(t)
		}
		return etype{}, errAt(t.pos, "%s cannot start an expression ($it, $this, $root, a property, a literal or a function can)", t.text)
	case tPunct:
		switch t.text {
		case "(":
			c.next()
			if err := c.enter(t.pos); err != nil {
				return etype{}, err
			}
			e, err := c.parseExpr()
			if err != nil {
				return e, err
			}
			if err := c.expect(")"); err != nil {
				return e, err
			}
			c.depth--
			return e, nil
		case "[", "{":
			return c.jsonValue()
		}
		return etype{}, errAt(t.pos, "unexpected %s", describe(t))
	}
	// tIdent
	switch {
	case t.text == "null":
		c.next()
		return etype{null: true, lit: true}, nil
	case strings.EqualFold(t.text, "true") || strings.EqualFold(t.text, "false"):
		c.next()
		return etype{t: Edm("Boolean"), lit: true}, nil
	case t.text == "INF" || t.text == "NaN":
		c.next()
		return etype{t: Edm("Double"), lit: true}, nil
	}
	if n := c.peekAt(1); n.kind == tPunct && n.text == "(" && !n.space {
		return c.call()
	}
	for i := len(c.vars) - 1; i >= 0; i-- {
		if c.vars[i].name == t.text {
			c.next()
			return c.pathFrom(c.vars[i].t)
		}
	}
	return c.memberPath(c.this)
}

// jsonValue reads a JSON array or object (4.01: values of in, of aliases,
// of function parameters); an array is a collection of its items' type.
func (c *checker) jsonValue() (etype, *SyntaxError) {
	open := c.next()
	if err := c.enter(open.pos); err != nil {
		return etype{}, err
	}
	defer func() { c.depth-- }()
	closeWith := "]"
	if open.text == "{" {
		closeWith = "}"
	}
	var item etype
	first := true
	for !c.isPunct(closeWith) {
		if c.peek().kind == tEOF {
			return etype{}, errAt(open.pos, "unterminated JSON %s", map[string]string{"]": "array", "}": "object"}[closeWith])
		}
		if open.text == "{" {
			if k := c.next(); k.kind != tJSONStr {
				return etype{}, errAt(k.pos, "a JSON object's member name is a \"string\", not %s", describe(k))
			}
			if err := c.expect(":"); err != nil {
				return etype{}, err
			}
		}
		var e etype
		var err *SyntaxError
		if c.peek().kind == tJSONStr {
			c.next()
			e = prim("String")
		} else if e, err = c.parseExpr(); err != nil {
			return e, err
		}
		if first {
			item, first = e, false
		} else if !comparable(item, e, false) {
			item = tUnknown
		}
		if c.isPunct(",") {
			c.next()
			continue
		}
		if !c.isPunct(closeWith) {
			return etype{}, errAt(c.peek().pos, "expected \",\" or %q, found %s", closeWith, describe(c.peek()))
		}
	}
	c.next()
	if open.text == "{" {
		return tUnknown, nil
	}
	item.coll, item.lit, item.str = true, false, nil
	return item, nil
}

// aliasType is the type of @name's value (the request's @name=value).
func (c *checker) aliasType(t token) (etype, *SyntaxError) {
	if c.q == nil {
		return tUnknown, nil
	}
	return c.q.alias(c, t)
}

// rootPath reads $root/Set(key)/... or $root/Singleton/...
func (c *checker) rootPath(t token) (etype, *SyntaxError) {
	if err := c.expect("/"); err != nil {
		return etype{}, err
	}
	n := c.next()
	if n.kind != tIdent {
		return etype{}, errAt(n.pos, "$root/ is followed by an entity set or a singleton, not %s", describe(n))
	}
	if s := c.m.Singletons[n.text]; s != nil {
		return c.pathFrom(etype{t: s.Type})
	}
	es := c.m.EntitySets[n.text]
	if es == nil {
		return etype{}, errAt(n.pos, "%s is no entity set or singleton of the service", n.text)
	}
	e := etype{t: es.Type, coll: true}
	if c.isPunct("(") {
		if err := c.skipParens(); err != nil {
			return e, err
		}
		e.coll = false
	}
	return c.pathFrom(e)
}

// skipParens skips a balanced ( … ) (a key predicate in $root paths).
func (c *checker) skipParens() *SyntaxError {
	open := c.next()
	depth := 1
	for depth > 0 {
		t := c.next()
		switch {
		case t.kind == tEOF:
			return errAt(open.pos, "unbalanced parentheses")
		case t.kind == tPunct && t.text == "(":
			depth++
			if depth > MaxDepth {
				return errAt(t.pos, "the expression nests deeper than %d", MaxDepth)
			}
		case t.kind == tPunct && t.text == ")":
			depth--
		}
	}
	return nil
}

// pathFrom continues a path after a value: /member ...
func (c *checker) pathFrom(e etype) (etype, *SyntaxError) {
	for c.isPunct("/") {
		c.next()
		var err *SyntaxError
		if e, err = c.segment(e); err != nil {
			return e, err
		}
	}
	return e, nil
}

// memberPath reads a path that starts at the current instance's type.
func (c *checker) memberPath(from etype) (etype, *SyntaxError) {
	e, err := c.segment(from)
	if err != nil {
		return e, err
	}
	return c.pathFrom(e)
}

// segment reads one path segment applied to cur.
func (c *checker) segment(cur etype) (etype, *SyntaxError) {
	t := c.next()
	if t.kind == tDollar {
		switch {
		case t.text == "$count" && (cur.coll || !cur.known()):
			if c.isPunct("(") { // $count($filter=…;$search=…)
				if err := c.skipParens(); err != nil {
					return etype{}, err
				}
			}
			return prim("Int64"), nil
		case t.text == "$count":
			return etype{}, errAt(t.pos, "$count applies to a collection, not %s", cur.name())
		case t.text == "$filter" && c.isPunct("(") && (cur.coll || !cur.known()):
			open := c.next()
			if err := c.enter(open.pos); err != nil {
				return etype{}, err
			}
			saved := c.this
			c.this = etype{t: cur.t}
			e, err := c.parseExpr()
			c.this = saved
			if err != nil {
				return e, err
			}
			if !loose(e) && !is(e, "Boolean") {
				return e, errAt(open.pos, "$filter(…) needs a Boolean expression, not %s", e.name())
			}
			if err := c.expect(")"); err != nil {
				return e, err
			}
			c.depth--
			return cur, nil
		}
		return etype{}, errAt(t.pos, "%s cannot stand in an expression's path", t.text)
	}
	if t.kind == tAlias { // an annotation: @NS.Term
		return tUnknown, nil
	}
	if t.kind != tIdent {
		return etype{}, errAt(t.pos, "a property name was expected, not %s", describe(t))
	}
	call := c.isPunct("(") && !c.peek().space
	if cur.coll && (c.keyword(t, "any") || c.keyword(t, "all")) && call {
		return c.lambda(t, cur)
	}
	if strings.Contains(t.text, ".") {
		if call {
			c.i-- // the name again, for call
			return c.call2(cur)
		}
		// A type cast.
		typ := c.m.Type(t.text)
		switch {
		case typ == nil && cur.known():
			return etype{}, errAt(t.pos, "%s is not a type of the model", t.text)
		case typ == nil:
			return tUnknown, nil
		case cur.known() && cur.t.IsStructured() && !typ.DerivesFrom(base(cur.t)):
			return etype{}, errAt(t.pos, "%s is not %s or a type derived from it", typ.QName(), cur.t.QName())
		}
		return etype{t: typ, coll: cur.coll}, nil
	}
	if !cur.known() {
		if call {
			if err := c.skipParens(); err != nil {
				return etype{}, err
			}
		}
		return tUnknown, nil
	}
	if cur.coll {
		return etype{}, errAt(t.pos, "%s is a collection: reach its items with any(…) or all(…), or count them with $count", cur.name())
	}
	st := base(cur.t)
	if !st.IsStructured() {
		return etype{}, errAt(t.pos, "%s has no member %s (%s is not a structured type)", cur.name(), t.text, cur.name())
	}
	if p := st.Property(t.text); p != nil {
		return etype{t: p.Type.Type, coll: p.Type.Collection}, nil
	}
	if n := st.Navigation(t.text); n != nil {
		return etype{t: n.Type.Type, coll: n.Type.Collection}, nil
	}
	if c.q != nil && cur.t == c.this.t && !cur.coll {
		if e, ok := c.q.computed[t.text]; ok {
			return e, nil
		}
	}
	if isOpen(st) {
		return tUnknown, nil // a dynamic property of an open type
	}
	return etype{}, errAt(t.pos, "%s is not a property of %s", t.text, st.QName())
}

func isOpen(t *Type) bool {
	for x, n := t, 0; x != nil && n < maxBaseDepth; x, n = x.Base, n+1 {
		if x.Open || x.Kind == KindExternal {
			return true
		}
	}
	return false
}

// lambda reads any(v:expr) or all(v:expr) on the collection cur.
func (c *checker) lambda(t token, cur etype) (etype, *SyntaxError) {
	open := c.next() // (
	if err := c.enter(open.pos); err != nil {
		return etype{}, err
	}
	defer func() { c.depth-- }()
	if c.isPunct(")") {
		if !c.keyword(t, "any") {
			return etype{}, errAt(t.pos, "all needs a lambda: all(v:v/Property eq 1)")
		}
		c.next()
		return tBool, nil
	}
	v := c.next()
	if v.kind != tIdent || strings.Contains(v.text, ".") {
		return etype{}, errAt(v.pos, "%s(…) starts with a variable name and a colon: %s(d:d/Price gt 10)", t.text, t.text)
	}
	if err := c.expect(":"); err != nil {
		return etype{}, err
	}
	c.vars = append(c.vars, lambdaVar{name: v.text, t: etype{t: cur.t}})
	e, err := c.parseExpr()
	c.vars = c.vars[:len(c.vars)-1]
	if err != nil {
		return e, err
	}
	if !loose(e) && !is(e, "Boolean") {
		return e, errAt(v.pos, "the lambda of %s needs a Boolean expression, not %s", t.text, e.name())
	}
	if err := c.expect(")"); err != nil {
		return e, err
	}
	return tBool, nil
}
