package csharp

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
)

// Front compiles C# policy expressions against one Model. It is safe for
// concurrent use.
type Front struct {
	m     *Model
	mu    sync.RWMutex
	types map[string]*Type
}

// New returns a front-end for the model.
func New(m Model) (*Front, error) {
	loadBuiltins()
	if err := m.init(); err != nil {
		return nil, err
	}
	return &Front{m: &m, types: map[string]*Type{}}, nil
}

// Program is one compiled C# expression: either lowered to expr source
// (Lowered, compiled by the caller with Options) or run by the interpreter.
type Program struct {
	// Result is the static type, in C# words ("string", "JObject").
	Result string
	// Lowered is the expr source, or "" when the interpreter runs it.
	Lowered string
	// Why says what kept the program from being lowered.
	Why string

	kind   Kind
	goT    reflect.Type
	m      *Model
	expr   Expr
	block  *Block
	nlocal int
	fields []readField
}

// ReadsField reports whether the program reads the field name (its Go
// name) of the model type owner anywhere: context.Request.Body is
// ReadsField(reflect.TypeOf(&Request{}), "Body"). The engine asks it at
// load, to know which parts of the request a section after the forward
// still needs.
func (p *Program) ReadsField(owner reflect.Type, name string) bool {
	return slices.Contains(p.fields, readField{owner, name})
}

// ResultKind gives the Go kind of the result when it is a plain value
// (string, bool, int, float64), reflect.Interface otherwise.
func (p *Program) ResultKind() reflect.Kind {
	switch p.kind {
	case KString:
		return reflect.String
	case KBool:
		return reflect.Bool
	case KInt:
		return reflect.Int
	case KDouble:
		return reflect.Float64
	case KGo:
		if p.goT.Implements(reflect.TypeOf((*fmt.Stringer)(nil)).Elem()) {
			return reflect.Interface // written with ToString()
		}
		return p.goT.Kind()
	}
	return reflect.Interface
}

// Run interprets the program; env is a pointer to the environment struct
// (Model.Env), whose context field is `context`.
func (p *Program) Run(env any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, exc("Exception", "%v", r)
		}
	}()
	ev := reflect.ValueOf(env)
	for ev.Kind() == reflect.Pointer {
		if ev.IsNil() {
			return nil, errNull
		}
		ev = ev.Elem()
	}
	f := &frame{m: p.m, env: ev, ctx: ev.FieldByIndex(p.m.ctxPath).Interface(), vars: make([]any, p.nlocal)}
	if p.expr != nil {
		return f.eval(p.expr)
	}
	c, v, err := f.exec(p.block)
	if err != nil {
		return nil, err
	}
	if c != ctlReturn {
		return nil, exc("InvalidOperationException", "the expression ended without returning a value")
	}
	return v, nil
}

// Compile parses, binds and lowers the inside of @(...) (block false) or
// @{...} (block true). Errors are *SyntaxError with the byte offset in src.
func (f *Front) Compile(src string, block bool) (p *Program, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug must not take the gateway down with it
			p, err = nil, &SyntaxError{Off: 0, Msg: fmt.Sprintf("internal error in the C# front-end: %v", r), Bound: true}
		}
	}()
	return f.compile(src, block)
}

func (f *Front) compile(src string, block bool) (*Program, error) {
	b := &binder{m: f.m, sc: &scope{vars: map[string]*local{}}}
	p := &Program{m: f.m}
	var t *Type
	if block {
		bl, err := parseBlock(src, 0)
		if err != nil {
			return nil, err
		}
		if len(bl.List) == 0 {
			return nil, &SyntaxError{Off: 0, Msg: "empty statement block"}
		}
		if err := b.block(bl); err != nil {
			return nil, err
		}
		if !returns(bl) {
			return nil, &SyntaxError{Off: len(strings.TrimRight(src, " \t\r\n")), Msg: "not all code paths return a value"}
		}
		t = tObject // only throws
		if len(b.rets) > 0 {
			t = b.rets[0]
		}
		for i := 1; i < len(b.rets); i++ {
			r := b.rets[i]
			if u := unify(t, r); u != nil {
				t = u
			} else {
				t = tObject
			}
		}
		p.block = bl
		if err := b.storedThenChanged(bl); err != nil { // list.go
			return nil, err
		}
		b.resolveAliases(bl) // list.go
	} else {
		e, err := parseExpr(src, 0)
		if err != nil {
			return nil, err
		}
		if t, err = b.expr(e); err != nil {
			return nil, err
		}
		if t.K == KVoid {
			return nil, &SyntaxError{Off: e.pos(), Msg: "the expression has no value (it calls a method that returns void)"}
		}
		if _, ok := e.(*Assign); ok {
			return nil, &SyntaxError{Off: e.pos(), Msg: "an assignment is not a value: a policy expression must give a value"}
		}
		p.expr = e
	}
	if t.K == KNull {
		t = tObject
	}
	p.Result, p.kind, p.goT, p.nlocal = t.Name, t.K, t.Go, len(b.locals)
	p.fields = b.fields
	if t.ik() == ikULong {
		p.kind = KObject // a uint64 at run time, not a Go int
	}
	if b.interp {
		p.Why = b.why
		return p, nil
	}
	lw := &lowerer{f: f, names: map[*local]string{}}
	var out string
	var err error
	if block {
		lw.bounded = true
		out, err = lw.stmts(p.block.List, env{}, nil)
	} else {
		out, err = lw.expr(p.expr, env{})
	}
	if err != nil {
		if isNoLower(err) {
			p.Why = err.(*noLower).why
			return p, nil
		}
		return nil, err
	}
	p.Lowered = out
	return p, nil
}

// returns reports whether every path through s ends in return or throw.
func returns(s Stmt) bool {
	switch s := s.(type) {
	case *Return, *Throw:
		return true
	case *Block:
		for _, x := range s.List {
			if returns(x) {
				return true
			}
		}
	case *If:
		if s.always() { // a switch's case var x: (switchpat.go)
			return returns(s.Then)
		}
		return s.Else != nil && returns(s.Then) && returns(s.Else)
	case *Try:
		if s.Finally != nil && returns(s.Finally) {
			return true
		}
		if !returns(s.Body) {
			return false
		}
		for _, c := range s.Catches {
			if !returns(c.Body) {
				return false
			}
		}
		return true
	case *While:
		if l, ok := s.C.(*Lit); ok && l.V == true {
			return true
		}
	}
	return false
}

func (f *Front) typeKey(t *Type) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	// two types may share a name (Regex's Group, a model's Group): the
	// later one gets its own key
	k := t.Name
	for i := 2; ; i++ {
		if old, ok := f.types[k]; !ok || old == t || reflect.DeepEqual(old, t) {
			break
		}
		k = fmt.Sprintf("%s#%d", t.Name, i)
	}
	f.types[k] = t
	return k
}

func (f *Front) typeOf(key string) (*Type, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	t, ok := f.types[key]
	if !ok {
		return nil, fmt.Errorf("unknown type %q", key)
	}
	return t, nil
}

// castCall lowers a cast of x to t.
func (f *Front) castCall(x string, t *Type) string {
	if t.Nullable { // the typed helpers cannot give null
		return fmt.Sprintf("$csCast(%s, %s)", x, quote(f.typeKey(t)))
	}
	switch t.K {
	case KString:
		return "$csCastString(" + x + ")"
	case KInt:
		return "$csCastInt(" + x + ")"
	case KBool:
		return "$csCastBool(" + x + ")"
	case KDouble:
		return "$csCastDouble(" + x + ")"
	}
	return fmt.Sprintf("$csCast(%s, %s)", x, quote(f.typeKey(t)))
}

// Options are the expr functions lowered programs call; compile lowered
// source with them.
func (f *Front) Options() []expr.Option {
	m := f.m
	cast := func(t *Type) func(p ...any) (any, error) {
		return func(p ...any) (any, error) { return m.castTo(p[0], t) }
	}
	return []expr.Option{
		expr.Function("$csCall", func(p ...any) (any, error) {
			bi := byKey[p[0].(string)]
			v, err := bi.run(p[1:])
			if s, ok := v.(string); ok && len(s) > MaxString {
				return nil, errString
			}
			return v, err
		}, new(func(string, ...any) any)),
		expr.Function("$csCastString", cast(tString), new(func(any) string)),
		expr.Function("$csCastInt", cast(tInt), new(func(any) int)),
		expr.Function("$csCastBool", cast(tBool), new(func(any) bool)),
		expr.Function("$csCastDouble", cast(tDouble), new(func(any) float64)),
		expr.Function("$csCast", func(p ...any) (any, error) {
			t, err := f.typeOf(p[1].(string))
			if err != nil {
				return nil, err
			}
			return m.castTo(p[0], t)
		}, new(func(any, string) any)),
		expr.Function("$csJConv", func(p ...any) (any, error) {
			t, err := f.typeOf(p[1].(string))
			if err != nil {
				return nil, err
			}
			return jtokenConvert(p[0], t)
		}, new(func(any, string) any)),
		expr.Function("$csIs", func(p ...any) (any, error) {
			t, err := f.typeOf(p[1].(string))
			if err != nil {
				return nil, err
			}
			return isType(m, p[0], t), nil
		}, new(func(any, string) bool)),
		expr.Function("$csAs", func(p ...any) (any, error) {
			t, err := f.typeOf(p[1].(string))
			if err != nil {
				return nil, err
			}
			if isType(m, p[0], t) {
				return p[0], nil
			}
			return nil, nil
		}, new(func(any, string) any)),
		expr.Function("$csConcat", func(p ...any) (any, error) {
			n := 0
			for _, x := range p {
				n += len(x.(string))
			}
			if n > MaxString {
				return nil, errString
			}
			var b strings.Builder
			b.Grow(n)
			for _, x := range p {
				b.WriteString(x.(string))
			}
			return b.String(), nil
		}, new(func(...string) string)),
		expr.Function("$csJSet", func(p ...any) (any, error) { return jset(p[0], p[1], p[2]) }, new(func(any, any, any) any)),
		expr.Function("$csNullRef", func(p ...any) (any, error) { return nil, errNull }, new(func() any)),
		expr.Function("$csCat", func(p ...any) (any, error) { return catStr(p[0]), nil }, new(func(any) string)),
		expr.Function("$csFmt", func(p ...any) (any, error) { return formatHole(p[0], p[1].(string), intKind(toInt(p[2]))) }, new(func(any, string, int) string)),
		expr.Function("$csIndex", func(p ...any) (any, error) {
			if p[0] == nil || isNilPtr(p[0]) {
				return nil, errNull
			}
			return indexValue(p[0], p[1], indexKind(p[2].(int)))
		}, new(func(any, any, int) any)),
		expr.Function("$csItems", func(p ...any) (any, error) { return items(p[0]) }, new(func(any) []any)),
		expr.Function("$csLinq", func(p ...any) (any, error) {
			seq, err := items(p[1])
			if err != nil {
				return nil, err
			}
			return linqRun(p[0].(string), seq, nil, p[2])
		}, new(func(string, any, any) any)),
		// integral arithmetic (intarith.go): an int's + - * wrap at 32 bits
		// (computed in 64 bits by expr, right modulo 2^32)
		expr.Function("$csI32", func(p ...any) (any, error) {
			if i, ok := p[0].(int); ok && i == int(int32(i)) {
				return p[0], nil // in range: the same boxed value, nothing allocated
			}
			return int(int32(asInt(p[0]))), nil
		}, new(func(int) int)),
		expr.Function("$csIntOp", func(p ...any) (any, error) { // an int's, unchecked
			return intBinop(p[0].(string), p[1], p[2], ikInt, false)
		}, new(func(string, int, int) int)),
		expr.Function("$csIntOpK", func(p ...any) (any, error) {
			c := p[3].(int)
			return intBinop(p[0].(string), p[1], p[2], intKind(c&255), c&256 != 0)
		}, new(func(string, int, int, int) int)),
		expr.Function("$csIntUn", func(p ...any) (any, error) {
			c := p[2].(int)
			return intUnary(p[0].(string), p[1], intKind(c&255), c&256 != 0)
		}, new(func(string, int, int) int)),
		expr.Function("$csIntConv", func(p ...any) (any, error) {
			c := p[1].(int)
			return intConvert(p[0], intKind(c&255), c&256 != 0)
		}, new(func(any, int) int)),
		expr.Function("$csDateDiff", func(p ...any) (any, error) {
			a, ok1 := p[0].(time.Time)
			b, ok2 := p[1].(time.Time)
			if !ok1 || !ok2 {
				return nil, errNull
			}
			return diffDates(a, b)
		}, new(func(time.Time, time.Time) time.Duration)),
		expr.Function("$csDateAdd", func(p ...any) (any, error) {
			t, ok1 := p[1].(time.Time)
			d, ok2 := p[2].(time.Duration)
			if !ok1 || !ok2 {
				return nil, errNull
			}
			return timeOp(p[0].(string), t, d)
		}, new(func(string, time.Time, time.Duration) time.Time)),
		expr.Function("$csSpanAdd", func(p ...any) (any, error) {
			a, ok1 := p[1].(time.Duration)
			b, ok2 := p[2].(time.Duration)
			if !ok1 || !ok2 {
				return nil, errNull
			}
			return sumSpans(a, b, p[0].(string) == "-")
		}, new(func(string, time.Duration, time.Duration) time.Duration)),
		// any, not float64: expr would make the int operands of a long
		// product doubles before multiplying (C# multiplies, then converts)
		expr.Function("$csFloatMod", func(p ...any) (any, error) { return math.Mod(toFloat(p[0]), toFloat(p[1])), nil },
			new(func(any, any) float64)),
		expr.Function("$csDict", func(p ...any) (any, error) {
			return buildDict(p[0].(int), p[1].([]any), p[2].([]any))
		}, new(func(int, []any, []any) any)),
		expr.Function("$csAnon", func(p ...any) (any, error) {
			keys, vals := p[0].([]any), p[1].([]any)
			names := make([]string, len(keys))
			for i, k := range keys {
				names[i] = k.(string)
			}
			return newAnon(names, vals), nil
		}, new(func([]any, []any) any)),
		expr.Function("$csAnonGet", func(p ...any) (any, error) {
			return anonGet(p[0], p[1].(string))
		}, new(func(any, string) any)),
	}
}
