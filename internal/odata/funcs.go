package odata

import (
	"strings"
)

// Built-in functions of the common expression syntax (URL Conventions
// 5.1.1.5 to 5.1.1.11), with their arity and argument types, and the
// model's functions called in an expression.

type builtin struct {
	min, max int
	check    func(args []etype) (etype, string) // result, or what is wrong
}

func argsAre(args []etype, ok ...func(etype) bool) string {
	for i, a := range args {
		if i < len(ok) && !loose(a) && !ok[i](a) {
			return "argument " + itoa(i+1) + " cannot be " + a.name()
		}
	}
	return ""
}

func itoa(i int) string {
	return string(rune('0' + i%10))
}

func isStr(e etype) bool     { return is(e, "String") }
func isNum(e etype) bool     { return isNumeric(e) }
func isInt(e etype) bool     { return is(e, "Byte", "SByte", "Int16", "Int32", "Int64") }
func isColl(e etype) bool    { return e.coll }
func isDateish(e etype) bool { return is(e, "Date", "DateTimeOffset") }
func isTimeish(e etype) bool { return is(e, "DateTimeOffset", "TimeOfDay") }
func isDTO(e etype) bool     { return is(e, "DateTimeOffset") }
func isDur(e etype) bool     { return is(e, "Duration") }
func isGeoE(e etype) bool    { return isGeo(e) }
func strOrColl(e etype) bool { return isStr(e) || e.coll }

func fixed(result etype, ok ...func(etype) bool) func([]etype) (etype, string) {
	return func(args []etype) (etype, string) { return result, argsAre(args, ok...) }
}

var builtins = map[string]builtin{
	"contains":           {2, 2, fixed(tBool, strOrColl, strOrColl)},
	"endswith":           {2, 2, fixed(tBool, strOrColl, strOrColl)},
	"startswith":         {2, 2, fixed(tBool, strOrColl, strOrColl)},
	"length":             {1, 1, fixed(prim("Int32"), strOrColl)},
	"indexof":            {2, 2, fixed(prim("Int32"), strOrColl, func(etype) bool { return true })},
	"substring":          {2, 3, sameAsFirst(strOrColl, isInt, isInt)},
	"matchespattern":     {2, 2, fixed(tBool, isStr, isStr)},
	"tolower":            {1, 1, fixed(prim("String"), isStr)},
	"toupper":            {1, 1, fixed(prim("String"), isStr)},
	"trim":               {1, 1, fixed(prim("String"), isStr)},
	"concat":             {2, 2, sameAsFirst(strOrColl, strOrColl)},
	"year":               {1, 1, fixed(prim("Int32"), isDateish)},
	"month":              {1, 1, fixed(prim("Int32"), isDateish)},
	"day":                {1, 1, fixed(prim("Int32"), isDateish)},
	"hour":               {1, 1, fixed(prim("Int32"), isTimeish)},
	"minute":             {1, 1, fixed(prim("Int32"), isTimeish)},
	"second":             {1, 1, fixed(prim("Int32"), isTimeish)},
	"fractionalseconds":  {1, 1, fixed(prim("Decimal"), isTimeish)},
	"totalseconds":       {1, 1, fixed(prim("Decimal"), isDur)},
	"date":               {1, 1, fixed(prim("Date"), isDTO)},
	"time":               {1, 1, fixed(prim("TimeOfDay"), isDTO)},
	"totaloffsetminutes": {1, 1, fixed(prim("Int32"), isDTO)},
	"mindatetime":        {0, 0, fixed(prim("DateTimeOffset"))},
	"maxdatetime":        {0, 0, fixed(prim("DateTimeOffset"))},
	"now":                {0, 0, fixed(prim("DateTimeOffset"))},
	"round":              {1, 1, sameAsFirst(isNum)},
	"floor":              {1, 1, sameAsFirst(isNum)},
	"ceiling":            {1, 1, sameAsFirst(isNum)},
	"geo.distance":       {2, 2, fixed(prim("Double"), isGeoE, isGeoE)},
	"geo.length":         {1, 1, fixed(prim("Double"), isGeoE)},
	"geo.intersects":     {2, 2, fixed(tBool, isGeoE, isGeoE)},
	"hassubset":          {2, 2, fixed(tBool, isColl, isColl)},
	"hassubsequence":     {2, 2, fixed(tBool, isColl, isColl)},
}

func sameAsFirst(ok ...func(etype) bool) func([]etype) (etype, string) {
	return func(args []etype) (etype, string) {
		r := args[0]
		r.lit, r.str, r.integer = false, nil, false
		return r, argsAre(args, ok...)
	}
}

// builtinName is the built-in function t names (lower case in 4.0,
// matchesPattern as written; any case in 4.01), or "".
func (c *checker) builtinName(name string) string {
	low := strings.ToLower(name)
	if _, ok := builtins[low]; !ok && low != "cast" && low != "isof" && low != "case" {
		return ""
	}
	if c.v401 || name == low || name == "matchesPattern" {
		return low
	}
	return ""
}

// call reads name(args) at the start of an expression: a built-in
// function, cast, isof, case, or a function of the model bound to the
// current instance.
func (c *checker) call() (etype, *SyntaxError) {
	t := c.peek()
	name := c.builtinName(t.text)
	if name == "" {
		if strings.Contains(t.text, ".") {
			return c.call2(c.this)
		}
		return etype{}, errAt(t.pos, "%s is not a function (built-in functions: contains, startswith, year, round, …; a model's function is called by its qualified name)", clip(t.text))
	}
	c.next()
	open := c.next() // (
	if err := c.enter(open.pos); err != nil {
		return etype{}, err
	}
	defer func() { c.depth-- }()
	switch name {
	case "cast", "isof":
		return c.castOrIsof(t, name)
	case "case":
		return c.caseExpr(t)
	}
	var args []etype
	for !c.isPunct(")") {
		if len(args) > 0 {
			if err := c.expect(","); err != nil {
				return etype{}, err
			}
		}
		a, err := c.parseExpr()
		if err != nil {
			return a, err
		}
		args = append(args, a)
	}
	c.next()
	b := builtins[name]
	if len(args) < b.min || len(args) > b.max {
		want := itoa(b.min)
		if b.max != b.min {
			want += " or " + itoa(b.max)
		}
		return etype{}, errAt(t.pos, "%s takes %s argument(s), not %d", t.text, want, len(args))
	}
	r, bad := b.check(args)
	if bad != "" {
		return etype{}, errAt(t.pos, "%s: %s", t.text, bad)
	}
	return c.pathFrom(r)
}

// typeName reads a type name (qualified, Edm.X, or Collection(…)).
func (c *checker) typeName() (etype, *SyntaxError) {
	t := c.next()
	if t.kind != tIdent {
		return etype{}, errAt(t.pos, "a type name was expected, not %s", describe(t))
	}
	if t.text == "Collection" && c.isPunct("(") {
		c.next()
		e, err := c.typeName()
		if err != nil {
			return e, err
		}
		e.coll = true
		return e, c.expect(")")
	}
	typ := c.m.Type(t.text)
	if typ == nil {
		typ = c.m.unqualified(t.text)
	}
	if typ == nil {
		return etype{}, errAt(t.pos, "%s is not a type (Edm.String, Edm.Int32, … or a type of the model)", clip(t.text))
	}
	return etype{t: typ}, nil
}

// unqualified finds a model type by its name alone (4.01 lets type names
// go unqualified where they are unambiguous).
func (m *Model) unqualified(name string) *Type {
	var found *Type
	for q, t := range m.types {
		if t.Name == name && strings.HasSuffix(q, "."+name) && q == t.QName() {
			if found != nil && found != t {
				return nil
			}
			found = t
		}
	}
	return found
}

func (c *checker) castOrIsof(t token, name string) (etype, *SyntaxError) {
	// cast(Type) or cast(expr, Type): a lone name followed by ")" is the type.
	var target etype
	if n := c.peek(); n.kind == tIdent && (c.m.Type(n.text) != nil || n.text == "Collection") && c.peekAt(1).kind == tPunct && (c.peekAt(1).text == ")" || n.text == "Collection") {
		var err *SyntaxError
		if target, err = c.typeName(); err != nil {
			return target, err
		}
	} else {
		if _, err := c.parseExpr(); err != nil {
			return etype{}, err
		}
		if err := c.expect(","); err != nil {
			return etype{}, err
		}
		var err *SyntaxError
		if target, err = c.typeName(); err != nil {
			return target, err
		}
	}
	if err := c.expect(")"); err != nil {
		return etype{}, err
	}
	if name == "isof" {
		return tBool, nil
	}
	return c.pathFrom(target)
}

func (c *checker) caseExpr(t token) (etype, *SyntaxError) {
	var result etype
	n := 0
	for !c.isPunct(")") {
		if n > 0 {
			if err := c.expect(","); err != nil {
				return etype{}, err
			}
		}
		cond, err := c.parseExpr()
		if err != nil {
			return cond, err
		}
		if !loose(cond) && !is(cond, "Boolean") {
			return cond, errAt(t.pos, "case: each condition is Boolean, not %s", cond.name())
		}
		if err := c.expect(":"); err != nil {
			return etype{}, err
		}
		v, err := c.parseExpr()
		if err != nil {
			return v, err
		}
		if n == 0 || result.null {
			result = v
		}
		n++
	}
	c.next()
	if n == 0 {
		return etype{}, errAt(t.pos, "case needs at least one condition:value pair")
	}
	result.lit, result.str = false, nil
	return result, nil
}

// call2 reads NS.Function(p=v,…) bound to cur (or a geo.* built-in).
func (c *checker) call2(cur etype) (etype, *SyntaxError) {
	t := c.peek()
	if name := c.builtinName(t.text); name != "" {
		return c.call()
	}
	c.next()
	ops := c.m.Operations(t.text)
	var cands []*Operation
	for _, op := range ops {
		if op.Action {
			continue
		}
		if op.Bound && bindsTo(op, cur) {
			cands = append(cands, op)
		}
	}
	if len(cands) == 0 && len(ops) == 0 {
		ns := t.text[:strings.LastIndexByte(t.text, '.')]
		if c.m.external[ns] {
			return tUnknown, c.skipParens()
		}
		return etype{}, errAt(t.pos, "%s is not a function of the model", clip(t.text))
	}
	if len(cands) == 0 {
		return etype{}, errAt(t.pos, "%s is not a function bound to %s", t.text, cur.name())
	}
	args, err := c.callParams()
	if err != nil {
		return etype{}, err
	}
	op := matchOverload(cands, args, 1)
	if op == nil {
		return etype{}, errAt(t.pos, "%s has no overload that takes (%s)", t.text, describeArgs(args))
	}
	r := etype{t: op.Return.Type, coll: op.Return.Collection}
	return c.pathFrom(r)
}

// arg is a function call's parameter: its name and its value's type.
type arg struct {
	name string
	t    etype
}

func describeArgs(args []arg) string {
	var out []string
	for _, a := range args {
		out = append(out, a.name+"="+a.t.name())
	}
	return strings.Join(out, ", ")
}

// callParams reads (name=value,…).
func (c *checker) callParams() ([]arg, *SyntaxError) {
	open := c.next()
	if open.kind != tPunct || open.text != "(" {
		return nil, errAt(open.pos, "expected \"(\"")
	}
	if err := c.enter(open.pos); err != nil {
		return nil, err
	}
	defer func() { c.depth-- }()
	var args []arg
	for !c.isPunct(")") {
		if len(args) > 0 {
			if err := c.expect(","); err != nil {
				return nil, err
			}
		}
		n := c.next()
		if n.kind != tIdent {
			return nil, errAt(n.pos, "a parameter name was expected, not %s", describe(n))
		}
		if err := c.expect("="); err != nil {
			return nil, err
		}
		e, err := c.parseExpr()
		if err != nil {
			return nil, err
		}
		for _, x := range args {
			if x.name == n.text {
				return nil, errAt(n.pos, "parameter %s is given twice", n.text)
			}
		}
		args = append(args, arg{n.text, e})
	}
	c.next()
	return args, nil
}

// fits reports whether a value of type a may be passed for p.
func fits(p Param, a etype) bool {
	if loose(a) || p.Type.Type == nil || p.Type.Type.Kind == KindExternal {
		return true
	}
	if p.Type.Collection || a.coll {
		return p.Type.Collection && a.coll && (a.t == nil || comparable(etype{t: p.Type.Type}, etype{t: a.t}, false))
	}
	if p.Type.Type.IsStructured() {
		return a.t.IsStructured() && base(a.t).DerivesFrom(p.Type.Type)
	}
	return valueFits(p.Type.Type, a)
}

// valueFits reports whether a value of type a may stand for one of type
// t: comparable, and a literal for an integer type is an integer.
func valueFits(t *Type, a etype) bool {
	if !comparable(etype{t: t}, a, false) {
		return false
	}
	if a.lit && isNumeric(a) && !a.integer {
		switch base(t).Name {
		case "Byte", "SByte", "Int16", "Int32", "Int64":
			return false
		}
	}
	return true
}

// bindsTo reports whether op's binding parameter takes cur.
func bindsTo(op *Operation, cur etype) bool {
	if len(op.Params) == 0 {
		return false
	}
	b := op.Params[0].Type
	if !cur.known() || b.Type == nil || b.Type.Kind == KindExternal {
		return true
	}
	if b.Collection != cur.coll {
		return false
	}
	if b.Type.Namespace == "Edm" && (b.Type.Name == "EntityType" || b.Type.Name == "ComplexType") {
		return base(cur.t).IsStructured()
	}
	return base(cur.t).DerivesFrom(b.Type) || base(cur.t) == base(b.Type)
}

// matchOverload finds the overload whose non-binding parameters (from
// index skip) are given: every name is a parameter, every parameter that
// is not nullable is given.
func matchOverload(ops []*Operation, args []arg, skip int) *Operation {
	for _, op := range ops {
		s := 0
		if op.Bound {
			s = skip
		}
		params := op.Params[min(s, len(op.Params)):]
		ok := true
		for _, a := range args {
			found := false
			for _, p := range params {
				if p.Name == a.name && fits(p, a.t) {
					found = true
				}
			}
			ok = ok && found
		}
		for _, p := range params {
			if p.Optional {
				continue
			}
			given := false
			for _, a := range args {
				given = given || a.name == p.Name
			}
			ok = ok && given
		}
		if ok {
			return op
		}
	}
	return nil
}
