package csharp

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Bounds for the interpreter, as expr's memory budget bounds lowered programs.
const (
	// MaxSteps bounds the statements and loop iterations one run may take.
	MaxSteps = 100000
	// MaxString bounds a string the interpreter builds, in bytes.
	MaxString = 1 << 20
	// MaxItems bounds a list built by adding to it (list.Add, Concat).
	// Outside a loop each addition copies the list; in one it grows in
	// place (frame.appendList).
	MaxItems = 10000
)

type ctl int

const (
	ctlNone ctl = iota
	ctlReturn
	ctlBreak
	ctlContinue
)

type frame struct {
	m     *Model
	env   reflect.Value // the environment struct (for context funcs)
	ctx   any
	vars  []any
	steps int
	depth int // local function calls in progress
	// lists are the lists appendList made, by their backing array: the
	// length of the longest slice of it handed out, and the array's
	// capacity. Each slice handed out has no spare capacity, so nothing
	// else appends in place; appendList grows the list in place when the
	// slice it gets is that longest one (a shorter one, another local
	// holding the list as it was, is copied first).
	lists map[*any]listBuf
	// strs are growString's buffers, the same way.
	strs map[*byte]listBuf
}

type listBuf struct{ n, cap int }

// growString is s + x for a string a loop builds (Binary.grow,
// Assign.grow): s's bytes are kept in a buffer with room to grow, and a
// string of the buffer's longest length handed out grows in place (the
// bytes of every string handed out stay as they are: only bytes past
// them are written). Amortized, where a copy per turn made n appends cost
// n².
func (f *frame) growString(s string, x any) (any, error) {
	add := catStr(x)
	n := len(s) + len(add)
	if n > MaxString {
		return nil, errString
	}
	if p := unsafe.StringData(s); p != nil && len(s) > 0 {
		if b, ok := f.strs[p]; ok && b.n == len(s) && n <= b.cap {
			buf := unsafe.Slice(p, b.cap)
			copy(buf[len(s):], add)
			f.strs[p] = listBuf{n, b.cap}
			return unsafe.String(p, n), nil
		}
	}
	c := max(2*n, 64)
	buf := make([]byte, n, c)
	copy(buf, s)
	copy(buf[len(s):], add)
	if f.strs == nil {
		f.strs = map[*byte]listBuf{}
	}
	p := unsafe.SliceData(buf)
	f.strs[p] = listBuf{n, c}
	return unsafe.String(p, n), nil
}

// appendList runs list = list.Concat(new[] { x }) for list.Add(x) in a
// loop: amortized, as .NET's List<T>.Add, where a copy per addition made
// a loop of n additions cost n².
func (f *frame) appendList(n *Call, m *Member) (any, error) {
	recv, err := f.eval(m.X)
	if err != nil {
		return nil, err
	}
	one, err := f.eval(n.Args[0].X)
	if err != nil {
		return nil, err
	}
	seq, err := items(recv)
	if err != nil {
		return nil, err
	}
	more, _ := one.([]any)
	if len(seq)+len(more) > MaxItems {
		return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
	}
	if p := unsafe.SliceData(seq); p != nil {
		if b, ok := f.lists[p]; ok && b.n == len(seq) && len(seq)+len(more) <= b.cap {
			out := append(unsafe.Slice(p, b.cap)[:len(seq)], more...)
			f.lists[p] = listBuf{len(out), b.cap}
			return out[:len(out):len(out)], nil
		}
	}
	c := max(2*(len(seq)+len(more)), 8)
	buf := make([]any, len(seq), c)
	copy(buf, seq)
	buf = append(buf, more...)
	if f.lists == nil {
		f.lists = map[*any]listBuf{}
	}
	f.lists[unsafe.SliceData(buf)] = listBuf{len(buf), c}
	out := buf[:len(buf):len(buf)]
	return out, nil
}

func (f *frame) step() error {
	f.steps++
	if f.steps > MaxSteps {
		return exc("InvalidOperationException", "the expression ran more than %d steps (is a loop endless?)", MaxSteps)
	}
	return nil
}

// iteration runs one turn of a while, do or for loop: the statement
// budget, the condition (none when c is nil), the body. more is false when
// the loop is over (condition false, break, return or an error); the loop
// then returns c, v and err.
func (f *frame) iteration(cond Expr, body Stmt) (more bool, c ctl, v any, err error) {
	if err := f.step(); err != nil {
		return false, 0, nil, err
	}
	if cond != nil {
		ok, err := f.eval(cond)
		if err != nil {
			return false, 0, nil, err
		}
		if ok != true {
			return false, ctlNone, nil, nil
		}
	}
	c, v, err = f.exec(body)
	if err != nil || c == ctlReturn {
		return false, c, v, err
	}
	if c == ctlBreak {
		return false, ctlNone, nil, nil
	}
	return true, 0, nil, nil
}

func (f *frame) exec(s Stmt) (ctl, any, error) {
	if err := f.step(); err != nil {
		return 0, nil, err
	}
	switch s := s.(type) {
	case *Block:
		for _, st := range s.List {
			c, v, err := f.exec(st)
			if err != nil || c != ctlNone {
				return c, v, err
			}
		}
		return ctlNone, nil, nil
	case *Empty:
		return ctlNone, nil, nil
	case *Decl:
		for i, l := range s.locs {
			var v any
			if s.Inits[i] != nil {
				x, err := f.evalAs(s.Inits[i], l.t)
				if err != nil {
					return 0, nil, err
				}
				v = x
			} else {
				v = zeroOf(l.t)
			}
			f.vars[l.slot] = v
		}
		return ctlNone, nil, nil
	case *ExprStmt:
		_, err := f.eval(s.X)
		return ctlNone, nil, err
	case *Return:
		if s.X == nil { // return; in a void local function
			return ctlReturn, nil, nil
		}
		if s.to != nil {
			v, err := f.evalAs(s.X, s.to)
			return ctlReturn, v, err
		}
		v, err := f.eval(s.X)
		return ctlReturn, v, err
	case *LocalFunc:
		return ctlNone, nil, nil // runs when called
	case *If:
		c, err := f.eval(s.C)
		if err != nil {
			return 0, nil, err
		}
		if c == true {
			return f.exec(s.Then)
		}
		if s.Else != nil {
			return f.exec(s.Else)
		}
		return ctlNone, nil, nil
	case *Foreach:
		seq, err := f.eval(s.In)
		if err != nil {
			return 0, nil, err
		}
		if seq == nil {
			return 0, nil, errNull
		}
		it, err := items(seq)
		if err != nil {
			return 0, nil, err
		}
		var held any
		if s.guard != nil {
			held = f.vars[s.guard.slot]
		}
		for _, x := range it {
			if s.guard != nil && !sameColl(held, f.vars[s.guard.slot]) {
				return 0, nil, errCollModified
			}
			if s.loc.t.K != KObject && s.loc.t != s.In.typ().Elem {
				if x, err = f.m.castTo(x, s.loc.t); err != nil {
					return 0, nil, err
				}
			}
			f.vars[s.loc.slot] = x
			c, v, err := f.exec(s.Body)
			if err != nil || c == ctlReturn {
				return c, v, err
			}
			if c == ctlBreak {
				return ctlNone, nil, nil
			}
		}
		if s.guard != nil && !sameColl(held, f.vars[s.guard.slot]) { // .NET's MoveNext checks after the last item too
			return 0, nil, errCollModified
		}
		return ctlNone, nil, nil
	case *While:
		for first := true; ; first = false {
			cond := s.C
			if s.Do && first {
				cond = nil // a do-while runs its body once before asking
			}
			if more, c, v, err := f.iteration(cond, s.Body); !more {
				return c, v, err
			}
		}
	case *For:
		for _, st := range s.Init {
			if _, _, err := f.exec(st); err != nil {
				return 0, nil, err
			}
		}
		for {
			if more, c, v, err := f.iteration(s.C, s.Body); !more {
				return c, v, err
			}
			for _, p := range s.Post {
				if _, err := f.eval(p); err != nil {
					return 0, nil, err
				}
			}
		}
	case *Try:
		c, v, err := f.exec(s.Body)
		if err != nil && !errors.Is(err, errBudget) {
			for _, cl := range s.Catches {
				if !catches(cl, err) {
					continue
				}
				if cl.loc != nil {
					f.vars[cl.loc.slot] = err
				}
				if cl.When != nil {
					// an exception filter: false passes the exception on to
					// the next clause; one that throws counts as false, as
					// in .NET (the budget's error still ends the run)
					ok, ferr := f.eval(cl.When)
					if errors.Is(ferr, errBudget) {
						return 0, nil, ferr
					}
					if ferr != nil || ok != true {
						continue
					}
				}
				c, v, err = f.exec(cl.Body)
				break
			}
		}
		if s.Finally != nil {
			fc, fv, ferr := f.exec(s.Finally)
			if ferr != nil || fc != ctlNone {
				return fc, fv, ferr
			}
		}
		return c, v, err
	case *Throw:
		if s.X == nil {
			return 0, nil, exc("Exception", "Exception of type 'System.Exception' was thrown.")
		}
		v, err := f.eval(s.X)
		if err != nil {
			return 0, nil, err
		}
		if e, ok := v.(error); ok {
			return 0, nil, e
		}
		return 0, nil, errNull
	case *Break:
		return ctlBreak, nil, nil
	case *Continue:
		return ctlContinue, nil, nil
	}
	return 0, nil, fmt.Errorf("statement %T not supported", s)
}

// errBudget is exceeding the interpreter's bounds: catch clauses do not see it.
var errBudget = errors.New("budget")

func catches(c *Catch, err error) bool {
	if c.Type == nil {
		return true
	}
	name := strings.TrimPrefix(c.Type.Name, "System.")
	if name == "Exception" {
		return true
	}
	typ := ""
	var e *Exception
	switch {
	case errors.As(err, &e):
		typ = e.Type
	case errors.Is(err, errNull):
		typ = "NullReferenceException"
	case errors.Is(err, errDivide):
		typ = "DivideByZeroException"
	}
	if typ != "" {
		for t := typ; t != ""; t = exceptionBase[t] {
			if t == name {
				return true
			}
		}
	}
	return false
}

// exceptionBase is the base class of the exceptions expressions throw, as
// .NET's (and Newtonsoft's) derive them: catch (ArgumentException)
// catches an ArgumentNullException too.
var exceptionBase = map[string]string{
	"ArgumentNullException": "ArgumentException", "ArgumentOutOfRangeException": "ArgumentException",
	"RegexParseException": "ArgumentException", "UriFormatException": "FormatException",
	"OverflowException": "ArithmeticException", "DivideByZeroException": "ArithmeticException",
	"JsonReaderException": "JsonException", "JsonSerializationException": "JsonException",
	"ObjectDisposedException": "InvalidOperationException", "KeyNotFoundException": "SystemException",
	"ArgumentException": "SystemException", "FormatException": "SystemException", "ArithmeticException": "SystemException",
	"InvalidOperationException": "SystemException", "InvalidCastException": "SystemException",
	"IndexOutOfRangeException": "SystemException", "NullReferenceException": "SystemException",
	"NotSupportedException": "SystemException", "OutOfMemoryException": "SystemException",
	"ArrayTypeMismatchException": "SystemException", "InsufficientExecutionStackException": "SystemException",
	"CryptographicException": "SystemException", "XmlException": "SystemException",
	"TimeZoneNotFoundException": "Exception", "RegexMatchTimeoutException": "TimeoutException", "TimeoutException": "SystemException",
}

func zeroOf(t *Type) any {
	if t.Nullable {
		return nil
	}
	switch t.K {
	case KInt, KChar:
		if t.K == KChar {
			return "\x00"
		}
		return 0
	case KDouble:
		return 0.0
	case KDecimal:
		return Decimal{}
	case KBool:
		return false
	case KDateTime: // default(DateTime): 0001-01-01, Kind Unspecified
		return time.Time{}.In(locUnspecified)
	case KDateTimeOffset:
		return dateTimeOffset{time.Time{}}
	case KTimeSpan:
		return time.Duration(0)
	case KEnum: // default(E) is 0, named or not (enums.go)
		if d := enumDefs[t.Name]; d != nil {
			return enumVal{d, 0}
		}
	case KGuid:
		return Guid{}
	case KDayOfWeek:
		return dayOfWeek(0)
	case KComparison:
		return 0
	case KKeyValue: // a struct, not null: its Key null, its Value default(V)
		return &JProperty{Value: zeroOf(t.Elem), nullKey: true}
	}
	return nil
}

// evalAs evaluates e and converts it implicitly to t (int to double).
func (f *frame) evalAs(e Expr, t *Type) (any, error) {
	v, err := f.eval(e)
	if err != nil {
		return nil, err
	}
	if t.K == KDouble {
		switch i := v.(type) {
		case int:
			return float64(i), nil
		case uint64:
			return float64(i), nil
		}
	}
	if t.K == KDecimal && v != nil {
		if _, ok := v.(Decimal); !ok {
			return toDecimal(v) // decimal d = 5: an integral value converts
		}
	}
	if t.K == KInt && t.IK == ikULong {
		if i, ok := v.(int); ok {
			return uint64(i), nil // ulong u = 5
		}
	}
	if t.K == KJToken {
		return toJToken(v), nil
	}
	if t.K == KDateTimeOffset {
		if d, ok := v.(time.Time); ok {
			return toDTO(d), nil // DateTimeOffset o = dateTime: the implicit conversion
		}
	}
	return v, nil
}

func (f *frame) eval(e Expr) (any, error) {
	switch n := e.(type) {
	case *Lit:
		if i, ok := n.V.(int64); ok {
			return int(i), nil
		}
		return n.V, nil
	case *Interp:
		var b strings.Builder
		for i, h := range n.Holes {
			b.WriteString(n.Lits[i])
			v, err := f.eval(h)
			if err != nil {
				return nil, err
			}
			s, err := formatHole(v, n.Formats[i], n.holeIK(i))
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
			if b.Len() > MaxString {
				return nil, errString
			}
		}
		b.WriteString(n.Lits[len(n.Lits)-1])
		return b.String(), nil
	case *Name:
		if n.local != nil {
			return f.vars[n.local.slot], nil
		}
		if n.static != nil {
			return nil, nil
		}
		return f.ctx, nil
	case *Member:
		return f.member(n)
	case *Call:
		return f.call(n)
	case *Index:
		return f.index(n)
	case *Unary:
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		if n.opT != nil { // an integral or char operand (intarith.go)
			if v == nil {
				return nil, nil // lifted: -(int?)null
			}
			return intUnary(n.Op, v, n.opT.ik(), n.Ctx == ctxChecked)
		}
		switch n.Op {
		case "!":
			return !v.(bool), nil
		case "-":
			if i, ok := v.(int); ok {
				return -i, nil
			}
			if d, ok := v.(Decimal); ok {
				return decNeg(d), nil
			}
			if d, ok := v.(time.Duration); ok {
				return spanNegate(d)
			}
			if v == nil {
				return nil, nil // lifted: -(double?)null
			}
			return -toFloat(v), nil
		case "~":
			return ^toInt(v), nil
		}
		return v, nil
	case *Binary:
		return f.binary(n)
	case *Cond:
		c, err := f.eval(n.C)
		if err != nil {
			return nil, err
		}
		if c == true {
			return f.evalAs(n.A, n.T)
		}
		return f.evalAs(n.B, n.T)
	case *Cast:
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		return convertCtx(f.m, v, n.X.typ(), n.T, n.Ctx == ctxChecked)
	case *CondAccess:
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		if v == nil || isNilPtr(v) {
			return nil, nil
		}
		f.vars[n.Tmp.local.slot] = v
		return f.eval(n.Body)
	case *IsAs:
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		ok := n.Var || !n.never && isType(f.m, v, n.T0())
		if n.exc { // e is ArgumentException: the exception's type or one derived from it
			e, isErr := v.(error)
			ok = isErr && catches(&Catch{Type: n.To}, e)
		}
		if n.Op == "as" {
			if ok {
				return v, nil
			}
			return nil, nil
		}
		if ok && n.loc != nil {
			f.vars[n.loc.slot] = v
		}
		return ok, nil
	case *NewExpr:
		return f.newExpr(n)
	case *Assign:
		return f.assign(n)
	case *TypeOf:
		return zeroOf(n.T), nil
	case *ThrowExpr:
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		if e, ok := v.(error); ok {
			return nil, e
		}
		return nil, errNull // throw null: .NET's NullReferenceException
	}
	return nil, fmt.Errorf("expression %T not supported", e)
}

var errString = exc("OutOfMemoryException", "the expression built a string of more than %d bytes", MaxString)

// T0 is the type tested by is/as.
func (n *IsAs) T0() *Type {
	if n.Op == "as" {
		return n.T
	}
	return n.to
}

func isType(m *Model, v any, t *Type) bool {
	if v == nil || t == nil {
		return false
	}
	if t.K == KObject {
		return true
	}
	// a boxed value is of its own type only: a double is no int (o is 2
	// of a 2.0 is false), an int no double, a text no number (castTo
	// converts these)
	switch v.(type) {
	case float64, float32:
		if t.K == KInt {
			return false
		}
	case int, int64, uint64:
		if t.K == KDouble {
			return false
		}
	case string:
		if t.K == KInt || t.K == KDouble {
			return false
		}
	}
	_, err := m.castTo(v, t)
	return err == nil
}

// formatHole is an interpolated string's {v,align:format}; ik is v's
// integral type (ikNone where it is not one, or not known).
func formatHole(v any, format string, ik intKind) (string, error) {
	align := 0
	if strings.HasPrefix(format, ",") {
		a, spec, _ := strings.Cut(format[1:], ":")
		align, _ = strconv.Atoi(strings.TrimSpace(a))
		format = spec
	}
	var s string
	var err error
	switch v.(type) {
	case int, int64, uint64:
		if format != "" {
			s, err = formatNumberNET(v, ik, format)
			break
		}
		s, err = formatValue(v, format)
	default:
		s, err = formatValue(v, format)
	}
	if err != nil {
		return "", err
	}
	return pad(s, align)
}

// convert is a cast from static type from to static type to.
func convert(m *Model, v any, from, to *Type) (any, error) {
	return convertCtx(m, v, from, to, false)
}

// convertCtx is a cast; chk: in a checked context, where a number out
// of the target's range is an OverflowException.
func convertCtx(m *Model, v any, from, to *Type, chk bool) (any, error) {
	if from.K == KDecimal && (to.numeric() || to.K == KChar) || to.K == KDecimal && (from.numeric() || from.K == KChar) {
		if v == nil && to.Nullable {
			return nil, nil
		}
		return decimalConvert(v, to, chk)
	}
	switch from.K {
	case KJToken, KJObject, KJArray:
		return jtokenConvert(v, to)
	case KInt, KDouble, KChar:
		switch to.K {
		case KInt:
			if v == nil && to.Nullable {
				return nil, nil
			}
			return intConvert(v, to.ik(), chk)
		case KDouble:
			return toFloat(v), nil
		case KChar:
			if s, ok := v.(string); ok {
				return s, nil
			}
			c, err := intConvert(v, ikUShort, chk)
			if err != nil {
				return nil, err
			}
			return string(rune(c.(int))), nil
		}
	}
	if to.K == KJToken && from.K != KObject {
		return toJToken(v), nil
	}
	if to.K == KDateTimeOffset && from.K == KDateTime {
		if d, ok := v.(time.Time); ok {
			return toDTO(d), nil // (DateTimeOffset)dateTime: the implicit conversion
		}
	}
	return m.castTo(v, to)
}

func (f *frame) member(n *Member) (any, error) {
	if n.static != nil {
		return nil, nil
	}
	if n.prop != nil && isStaticRecv(n.X) {
		return n.prop.run(nil)
	}
	if n.fn != nil {
		return f.callFunc(n.fn, nil)
	}
	if n.parentOf != nil {
		return f.jparent(n)
	}
	x, err := f.eval(n.X)
	if err != nil {
		return nil, err
	}
	if n.prop != nil && strings.HasPrefix(n.prop.key, "Nullable.") {
		return n.prop.run([]any{x}) // HasValue and Value read a null T?
	}
	if x == nil || isNilPtr(x) {
		if n.Cond {
			return nil, nil
		}
		return nil, errNull
	}
	if n.field != nil {
		rv := reflect.ValueOf(x)
		if rv.Kind() == reflect.Pointer {
			rv = rv.Elem()
		}
		v := rv.FieldByIndex(n.field.index).Interface()
		if n.field.read != nil { // a T?
			return n.field.read.run([]any{v})
		}
		return v, nil
	}
	if n.prop != nil {
		return n.prop.run([]any{x})
	}
	if n.anon {
		return anonGet(x, n.Name)
	}
	if e, ok := x.(error); ok && n.Name == "Message" {
		return e.Error(), nil
	}
	return nil, fmt.Errorf("member %s not bound", n.Name)
}

// jparent is o["k"].Parent or a[i].Parent, as Json.NET gives it: the
// property holding the value (a JProperty whose Remove() takes it out of
// o) or the array holding the item. A property whose value is JSON null
// has a parent too (Json.NET's token is a null JValue); a missing one is
// a NullReferenceException (or null under ?.).
func (f *frame) jparent(n *Member) (any, error) {
	ix := n.parentOf
	x, err := f.eval(ix.X)
	if err != nil {
		return nil, err
	}
	if x == nil || isNilPtr(x) {
		if ix.Cond || n.Cond {
			return nil, nil
		}
		return nil, errNull
	}
	i, err := f.eval(ix.I)
	if err != nil {
		return nil, err
	}
	child, err := indexValue(x, i, ixJToken)
	if err != nil {
		return nil, err
	}
	switch c := x.(type) {
	case *JObject:
		k := c.key(i.(string))
		if _, has := c.M[k]; has {
			return &JProperty{Name: k, Value: child, parent: c}, nil
		}
	case *JArray:
		return c, nil
	}
	if n.Cond {
		return nil, nil
	}
	return nil, errNull
}

// jremove is a[i].Remove() or o["k"].Remove(), as Json.NET's: an array's
// item, a value too, leaves the array; a property's value cannot leave its
// JProperty (Json.NET's JsonException: remove the property,
// o["k"].Parent.Remove()); a missing one is a NullReferenceException.
func (f *frame) jremove(ix *Index) (any, error) {
	x, i, err := f.indexOperands(ix)
	if x == nil || err != nil {
		return nil, err
	}
	child, err := indexValue(x, i, ixJToken)
	if err != nil {
		return nil, err
	}
	switch c := x.(type) {
	case *JArray:
		n := i.(int)
		c.Items = append(c.Items[:n:n], c.Items[n+1:]...)
		setParent(nil, child)
		return nil, nil
	case *JObject:
		if _, has := c.M[c.key(i.(string))]; has {
			return nil, exc("JsonException", "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty.")
		}
	}
	return nil, errNull
}

func isStaticRecv(e Expr) bool {
	t := e.typ()
	return t != nil && (t.K == KStatic || t.K == KNamespace)
}

func (f *frame) index(n *Index) (any, error) {
	x, i, err := f.indexOperands(n)
	if x == nil || err != nil {
		return nil, err
	}
	return indexValue(x, i, n.kind)
}

// indexOperands evaluates what n indexes and its index. A null receiver
// is a NullReferenceException, or, for ?[ ], no value: x nil and no error.
func (f *frame) indexOperands(n *Index) (x, i any, err error) {
	x, err = f.eval(n.X)
	if err != nil {
		return nil, nil, err
	}
	if x == nil || isNilPtr(x) {
		if n.Cond {
			return nil, nil, nil
		}
		return nil, nil, errNull
	}
	i, err = f.eval(n.I)
	if err != nil {
		return nil, nil, err
	}
	return x, i, nil
}

func indexValue(x, i any, kind indexKind) (any, error) {
	switch kind {
	case ixFoldMap:
		if k, ok := i.(string); ok {
			i = x.(FoldedKeys).FoldKey(k)
		}
		fallthrough
	case ixGoMap:
		rv := reflect.ValueOf(x)
		v := rv.MapIndex(reflect.ValueOf(i).Convert(rv.Type().Key()))
		if !v.IsValid() {
			return nil, nil // tollgate: a missing key reads as null (APIM throws KeyNotFoundException)
		}
		return v.Interface(), nil
	case ixString:
		s := x.(string)
		u := []rune(s)
		k := toInt(i)
		if k < 0 || k >= len(u) {
			return nil, exc("IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		return string(u[k]), nil
	case ixJToken:
		switch t := x.(type) {
		case *JObject:
			k, ok := i.(string)
			if !ok {
				return nil, exc("ArgumentException", "Accessed JObject values with invalid key value: %s. Object property name expected.", catStr(i))
			}
			v, has := t.M[t.key(k)]
			if has && v == nil { // a Dictionary's null read as JSON (JObject.FromObject(dict)): a JValue null
				return JNull{}, nil
			}
			return v, nil
		case *JArray:
			k, ok := i.(int)
			if !ok {
				return nil, exc("ArgumentException", "Accessed JArray values with invalid key value: %q. Int32 array index expected.", catStr(i))
			}
			if k < 0 || k >= len(t.Items) {
				return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")
			}
			if t.Items[k] == nil {
				return JNull{}, nil
			}
			return t.Items[k], nil
		}
		return nil, exc("InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue.")
	case ixList:
		if l, ok := x.([]any); ok {
			if k := toInt(i); k < 0 || k >= len(l) {
				return nil, errListIndex
			}
		}
		fallthrough
	case ixArray, ixGoSlice:
		it, err := items(x)
		if b, ok := x.([]byte); ok {
			it, err = nil, nil
			k := toInt(i)
			if k < 0 || k >= len(b) {
				return nil, exc("IndexOutOfRangeException", "Index was outside the bounds of the array.")
			}
			return int(b[k]), nil
		}
		if err != nil {
			return nil, err
		}
		k := toInt(i)
		if k < 0 || k >= len(it) {
			return nil, exc("IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		return it[k], nil
	case ixDynamic:
		switch t := x.(type) {
		case *JObject: // a Dictionary's indexer: a missing key throws, as .NET's does
			if i == nil {
				return nil, exc("ArgumentNullException", "Value cannot be null. (Parameter 'key')")
			}
			k := catStr(i)
			v, ok := t.M[t.key(k)]
			if !ok {
				return nil, exc("KeyNotFoundException", "The given key '%s' was not present in the dictionary.", k)
			}
			return v, nil
		case *Form:
			return t.get(catStr(i)), nil
		case *GroupCollection:
			return t.get(i), nil
		}
	}
	return nil, fmt.Errorf("cannot index %T", x)
}

func (f *frame) binary(n *Binary) (any, error) {
	switch n.Op {
	case "&&", "||":
		l, err := f.eval(n.L)
		if err != nil {
			return nil, err
		}
		if (n.Op == "&&") != (l == true) {
			return l, nil
		}
		return f.eval(n.R)
	case "??":
		l, err := f.eval(n.L)
		if err != nil {
			return nil, err
		}
		if l != nil && !isNilPtr(l) {
			return l, nil
		}
		return f.evalAs(n.R, n.T)
	}
	l, err := f.eval(n.L)
	if err != nil {
		return nil, err
	}
	if n.patObj != nil && !isType(f.m, l, n.patObj) {
		return false, nil // o is 42: o is not an int
	}
	if s, ok := l.(string); ok && n.grow {
		r, err := f.eval(n.R)
		if err != nil {
			return nil, err
		}
		return f.growString(s, r)
	}
	r, err := f.eval(n.R)
	if err != nil {
		return nil, err
	}
	if n.xname { // XNamespace + "local"
		return xnameJoin.run([]any{l, r})
	}
	if n.opT != nil { // integral arithmetic (intarith.go)
		if l == nil || r == nil {
			return nil, nil // lifted arithmetic on null
		}
		return intBinop(n.Op, l, r, n.opT.ik(), n.Ctx == ctxChecked)
	}
	return binop(n.Op, l, r, n.L.typ(), n.R.typ(), n.T)
}

// binop applies a binary operator with C# semantics.
func binop(op string, l, r any, lt, rt, t *Type) (any, error) {
	if dtoOperands(lt, rt) && t.K != KString {
		return dtoBinop(op, l, r)
	}
	if (lt.K == KDecimal || rt.K == KDecimal) && t.K != KString && l != nil && r != nil {
		return decBinop(op, l, r)
	}
	switch op {
	case "==":
		return equalNET(l, r), nil
	case "!=":
		return !equalNET(l, r), nil
	}
	if t.K == KString && op == "+" {
		s := catStr(l) + catStr(r)
		if len(s) > MaxString {
			return nil, errString
		}
		return s, nil
	}
	if lt.K == KDateTime || rt.K == KDateTime || lt.K == KTimeSpan {
		switch op {
		case "+":
			if tt, ok := l.(time.Time); ok {
				return addSpan(tt, r.(time.Duration))
			}
			return sumSpans(l.(time.Duration), r.(time.Duration), false)
		case "-":
			if rr, ok := r.(time.Time); ok {
				return diffDates(l.(time.Time), rr)
			}
			if tt, ok := l.(time.Time); ok {
				return timeOp("-", tt, r.(time.Duration))
			}
			return sumSpans(l.(time.Duration), r.(time.Duration), true)
		}
		c, err := compareNET(l, r)
		if err != nil {
			return nil, err
		}
		return cmpResult(op, c), nil
	}
	if l == nil || r == nil {
		if op == "<" || op == ">" || op == "<=" || op == ">=" {
			return false, nil
		}
		if lt.K == KBool && rt.K == KBool && (op == "&" || op == "|") {
			// bool?'s & and | are three-valued: null & false is false,
			// null | true is true, the rest with a null is null
			lb, lok := l.(bool)
			rb, rok := r.(bool)
			if op == "&" && (lok && !lb || rok && !rb) {
				return false, nil
			}
			if op == "|" && (lok && lb || rok && rb) {
				return true, nil
			}
		}
		return nil, nil // lifted arithmetic on null
	}
	if lt.K == KChar {
		l = charCode(l)
	}
	if rt.K == KChar {
		r = charCode(r)
	}
	switch op {
	case "<", ">", "<=", ">=":
		if isNaN(l) || isNaN(r) {
			return false, nil // every ordering with NaN is false in C#
		}
		c, err := compareNET(l, r)
		if err != nil {
			return nil, err
		}
		return cmpResult(op, c), nil
	case "&", "|", "^":
		if lb, ok := l.(bool); ok {
			rb := r.(bool)
			switch op {
			case "&":
				return lb && rb, nil
			case "|":
				return lb || rb, nil
			}
			return lb != rb, nil
		}
		return intBinop(op, l, r, t.ik(), false)
	case "<<", ">>":
		return intBinop(op, l, r, t.ik(), false)
	}
	if t.K == KDouble {
		a, b := toFloat(l), toFloat(r)
		switch op {
		case "+":
			return a + b, nil
		case "-":
			return a - b, nil
		case "*":
			return a * b, nil
		case "/":
			return a / b, nil
		case "%":
			return math.Mod(a, b), nil
		}
	}
	switch op {
	case "+", "-", "*", "/", "%":
		return intBinop(op, l, r, t.ik(), false)
	}
	return nil, fmt.Errorf("operator %s not supported", op)
}

func charCode(v any) any {
	if s, ok := v.(string); ok {
		r, _ := utf8.DecodeRuneInString(s)
		return int(r)
	}
	return v
}

func cmpResult(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	}
	return c >= 0
}

func (f *frame) args(n *Call) ([]any, error) {
	out := make([]any, 0, len(n.Args)+1)
	for _, a := range n.Args {
		v, err := f.eval(a.X)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// packVarargs folds trailing arguments into the params array.
func packVarargs(bi *builtin, args []any, types []*Type, base int) []any {
	if !bi.vararg {
		return args
	}
	np := len(bi.params) + base
	if len(args) == np {
		last := args[np-1]
		if t := types[len(types)-1]; t != nil && (t.K == KArray || t.K == KJArray || t.K == KGrouping) {
			if it, err := items(last); err == nil {
				return append(args[:np-1:np-1], it)
			}
		}
	}
	rest := append([]any(nil), args[np-1:]...)
	if rest == nil {
		rest = []any{}
	}
	return append(args[:np-1:np-1], rest)
}

func argTypes(n *Call) []*Type {
	out := make([]*Type, len(n.Args))
	for i, a := range n.Args {
		out[i] = a.X.typ()
	}
	return out
}

func (f *frame) call(n *Call) (any, error) {
	if n.removeOf != nil {
		return f.jremove(n.removeOf)
	}
	if n.local != nil {
		return f.callLocal(n)
	}
	if n.coll != nil {
		return f.collCall(n) // sets.go
	}
	if n.list != nil {
		return f.listCall(n) // list.go
	}
	if n.divRem != nil {
		return f.divRem(n) // divrem.go
	}
	m := n.F.(*Member)
	if n.method != nil && strings.HasPrefix(n.method.key, "try.") || m.Name == "TryGetValue" || m.Name == "TryParse" || m.Name == "TryParseExact" || m.Name == "TryParseJwt" || m.Name == "TryParseBasic" ||
		m.Name == "TryDequeue" || m.Name == "TryPop" || m.Name == "TryPeek" || m.Name == "TryCreate" && n.tryParse != nil {
		return f.tryCall(n, m)
	}
	if n.listAppend {
		return f.appendList(n, m)
	}
	if n.method != nil && strings.HasPrefix(n.method.key, "linq.") {
		return f.linq(n, m)
	}
	if n.evaluator {
		return f.regexEvaluate(n, m)
	}
	if n.fn != nil {
		args, err := f.args(n)
		if err != nil {
			return nil, err
		}
		return f.callFunc(n.fn, args)
	}
	static := isStaticRecv(m.X)
	var recv any
	if !static {
		var err error
		if recv, err = f.eval(m.X); err != nil {
			return nil, err
		}
		if recv == nil || isNilPtr(recv) {
			if m.Cond {
				return nil, nil
			}
			if n.nullText {
				return "", nil // Nullable<T>.ToString() of a null T?
			}
			if n.method == nil || !strings.Contains(n.method.key, ".Equals(") && !strings.HasPrefix(n.method.key, "Nullable.") && !nullTokenValue[n.method] {
				return nil, errNull
			}
		}
	}
	args, err := f.args(n)
	if err != nil {
		return nil, err
	}
	if n.goM != nil {
		return f.goCall(n, recv, args)
	}
	bi := n.method
	all := args
	base := 0
	if !static {
		all = append([]any{recv}, args...)
		base = 1
	}
	for i, a := range n.Args {
		if i < len(bi.params) && bi.params[i].K == KDouble {
			if x, ok := all[i+base].(int); ok && a.X.typ().K == KInt && !strings.HasPrefix(bi.key, "Math.M") && bi.key != "Math.Abs/1" {
				all[i+base] = float64(x)
			}
		}
	}
	all = packVarargs(bi, all, argTypes(n), base)
	v, err := bi.run(all)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && len(s) > MaxString {
		return nil, errString
	}
	return v, nil
}

// callFunc calls a context member the environment implements.
func (f *frame) callFunc(cf *ctxFunc, args []any) (any, error) {
	if !f.env.IsValid() {
		return nil, exc("InvalidOperationException", "context.%s is not available here", cf.name)
	}
	fv := f.env.FieldByIndex(cf.index)
	if fv.IsNil() {
		return nil, exc("InvalidOperationException", "context.%s is not available here", cf.name)
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		if a == nil {
			in[i] = reflect.Zero(fv.Type().In(i))
			continue
		}
		in[i] = reflect.ValueOf(a)
	}
	out := fv.Call(in)[0].Interface()
	if cf.Void {
		return nil, nil
	}
	return out, nil
}

func (f *frame) goCall(n *Call, recv any, args []any) (any, error) {
	gm := n.goM
	rv := reflect.ValueOf(recv)
	mv := rv.MethodByName(gm.name)
	mt := mv.Type()
	in := make([]reflect.Value, mt.NumIn())
	if len(args) < len(in) && n.F.(*Member).generic() { // GetValueOrDefault<T>(name): default(T)
		args = append(args, zeroOf(n.T))
	}
	if n.nullStr && (len(args) < 2 || args[1] == nil) {
		// Headers/Query.GetValueOrDefault(name[, null]): null when missing
		if name, _ := args[0].(string); !rv.MethodByName("ContainsKey").Call([]reflect.Value{reflect.ValueOf(name)})[0].Bool() {
			return nil, nil
		}
	}
	for i := range in {
		pt := mt.In(i)
		if i >= len(args) || args[i] == nil {
			in[i] = reflect.Zero(pt)
			continue
		}
		av := reflect.ValueOf(args[i])
		if !av.Type().AssignableTo(pt) {
			if av.Type().ConvertibleTo(pt) {
				av = av.Convert(pt)
			} else {
				return nil, castErr(args[i], pt.String())
			}
		}
		in[i] = av
	}
	out := mv.Call(in)
	if len(out) == 0 {
		return nil, nil
	}
	if len(out) == 2 && !out[1].IsNil() {
		return nil, out[1].Interface().(error)
	}
	v := out[0].Interface()
	if n.F.(*Member).generic() { // GetValueOrDefault<T>
		return f.m.castTo(v, n.T)
	}
	return v, nil
}

func (f *frame) tryCall(n *Call, m *Member) (any, error) {
	var recv any
	if !isStaticRecv(m.X) {
		var err error
		if recv, err = f.eval(m.X); err != nil {
			return nil, err
		}
		if recv == nil || isNilPtr(recv) {
			return nil, errNull
		}
	}
	var in any
	var ins []any // n.tryParse: every argument before the out one
	for _, a := range n.Args {
		if !a.Out {
			v, err := f.eval(a.X)
			if err != nil {
				return nil, err
			}
			in = v
			if n.tryParse != nil {
				ins = append(ins, v)
			}
		}
	}
	var out any
	ok := false
	switch {
	case n.tryParse != nil:
		// a null text is false (ArgumentNullException), as .NET's, once
		// the styles are checked (.NET throws for invalid ones first)
		if v, err := n.tryParse.run(ins); err == nil {
			out, ok = v, true
		} else if e, isExc := err.(*Exception); !isExc || e.Type != "FormatException" && e.Type != "UriFormatException" && e.Type != "ArgumentNullException" && e.Type != "OverflowException" {
			return nil, err // not the text's refusal: invalid styles (.NET throws too), a format tollgate cannot read, a budget
		}
		if !ok {
			out = zeroOf(n.Args[len(n.Args)-1].outLoc.t)
		}
	}
	switch m.Name {
	case "TryGetValue":
		switch x := recv.(type) {
		case *JObject:
			out, ok = x.M[x.key(catStr(in))]
		default:
			rv := reflect.ValueOf(recv)
			if fk, ok := recv.(FoldedKeys); ok && in != nil {
				in = fk.FoldKey(catStr(in))
			}
			if in != nil {
				v := rv.MapIndex(reflect.ValueOf(in).Convert(rv.Type().Key()))
				if v.IsValid() {
					out, ok = v.Interface(), true
				}
			}
		}
	case "TryDequeue", "TryPop", "TryPeek": // queues.go
		var err error
		if out, ok, err = f.tryQueue(m, recv); err != nil {
			return nil, err
		}
	case "TryParseJwt", "TryParseBasic":
		s := recv.(string)
		as := "As" + strings.TrimPrefix(m.Name, "TryParse")
		res, _ := extMethod(as, f.m.Funcs[as]).run([]any{s})
		out, ok = res, res != nil
	case "TryParse":
		if n.tryParse != nil {
			break
		}
		s, isStr := in.(string)
		if isStr {
			typ := m.X.typ().Name
			bi := statics[typ]["Parse"]
			if bi != nil {
				v, err := bi[0].run([]any{s})
				if err == nil {
					out, ok = v, true
				}
			}
		}
		if !ok {
			out = zeroOf(n.Args[1].outLoc.t)
		}
	}
	for _, a := range n.Args {
		if a.Out {
			if out == nil {
				out = zeroOf(a.outLoc.t)
			}
			f.vars[a.outLoc.slot] = out
		}
	}
	return ok, nil
}

func (f *frame) newExpr(n *NewExpr) (any, error) {
	if n.Props != nil {
		vals := make([]any, len(n.Props))
		for i := range n.Props {
			v, err := f.eval(n.Vals[i])
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
		return newAnon(n.Props, vals), nil
	}
	if len(n.DictKeys) > 0 {
		keys, vals := make([]any, len(n.DictKeys)), make([]any, len(n.DictKeys))
		for i, k := range n.DictKeys {
			var err error
			if keys[i], err = f.eval(k); err != nil {
				return nil, err
			}
			if vals[i], err = f.eval(n.DictVals[i]); err != nil {
				return nil, err
			}
		}
		if n.ctor != nil { // new Dictionary<string, T>(comparer) { ... }
			base, err := f.newExpr(&NewExpr{node: n.node, Args: n.Args, ctor: n.ctor})
			if err != nil {
				return nil, err
			}
			return fillDict(base.(*JObject), n.dictMode(), keys, vals)
		}
		return buildDict(n.dictMode(), keys, vals)
	}
	if n.ctor == nil {
		out := []any{}
		for _, x := range n.Init {
			var v any
			var err error
			if n.T.K == KArray && n.T.Elem != nil {
				v, err = f.evalAs(x, n.T.Elem) // new[] { 0, 0.5 }: doubles, as the lowered program makes them
			} else {
				v, err = f.eval(x)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if n.T.K == KDict {
			return NewJObject(), nil
		}
		if n.T.K == KBytes {
			b := make([]byte, len(out))
			for i, x := range out {
				b[i] = byte(toInt(x))
			}
			return b, nil
		}
		return out, nil
	}
	args, err := f.args(&Call{Args: n.Args})
	if err != nil {
		return nil, err
	}
	args = packVarargs(n.ctor, args, argTypesOf(n.Args), 0)
	v, err := n.ctor.run(args)
	if err != nil || len(n.Init) == 0 {
		return v, err
	}
	list := v.([]any) // new HashSet<string>(comparer) { ... }, new List<T>(n) { ... }
	var eq func(a, b any) bool
	if n.ctor == setNew {
		eq = eqFor(comparerOf(n.T))
	}
	for _, x := range n.Init {
		v, err := f.eval(x)
		if err != nil {
			return nil, err
		}
		if eq == nil || !containsEq(list, v, eq) {
			list = append(list, v)
		}
	}
	return list, nil
}

func argTypesOf(args []*Arg) []*Type {
	out := make([]*Type, len(args))
	for i, a := range args {
		out[i] = a.X.typ()
	}
	return out
}

func (f *frame) assign(n *Assign) (any, error) {
	switch t := n.Target.(type) {
	case *Index:
		if n.Op != "=" {
			return f.elemAssign(n, t)
		}
		x, err := f.eval(t.X)
		if err != nil {
			return nil, err
		}
		k, err := f.eval(t.I)
		if err != nil {
			return nil, err
		}
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		if t.T != nil && t.T.K == KDecimal && v != nil {
			if v, err = toDecimal(v); err != nil { // d[k] = 1 in a Dictionary<string, decimal>
				return nil, err
			}
		}
		switch t.X.typ().K {
		case KDict:
			return dictSet.run([]any{x, k, v})
		case KArray, KBytes:
			if isList(t.X.typ()) {
				return listSet.run([]any{x, k, v})
			}
			return arraySet.run([]any{x, k, v})
		}
		return jset(x, k, v)
	case *Name:
		l := t.local
		old := f.vars[l.slot]
		var v any
		switch n.Op {
		case "++", "--":
			nv, err := incDec(n, old, l.t)
			if err != nil {
				return nil, err
			}
			f.vars[l.slot] = nv
			if n.Post {
				return old, nil
			}
			return nv, nil
		case "=":
			x, err := f.evalAs(n.X, l.t)
			if err != nil {
				return nil, err
			}
			v = x
		case "??=":
			if old != nil {
				return old, nil
			}
			x, err := f.evalAs(n.X, l.t)
			if err != nil {
				return nil, err
			}
			v = x
		default:
			x, err := f.eval(n.X)
			if err != nil {
				return nil, err
			}
			if s, ok := old.(string); ok && n.grow {
				if v, err = f.growString(s, x); err != nil {
					return nil, err
				}
				f.vars[l.slot] = v
				return v, nil
			}
			if v, err = compoundValue(n, old, x, l.t); err != nil {
				return nil, err
			}
		}
		f.vars[l.slot] = v
		return v, nil
	case *Member:
		if n.setter == nil {
			break
		}
		x, err := f.eval(t.X)
		if err != nil {
			return nil, err
		}
		v, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		r, err := n.setter.run([]any{x, v})
		if err != nil {
			return nil, err
		}
		if r != nil { // JProperty's: the JToken made of v
			return r, nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("cannot assign")
}

// incDec is x + 1 or x - 1 for x++ and x-- (prefix or postfix) on a
// value of type t: an integer wraps in its own type (or throws in a
// checked context), a null int? stays null.
func incDec(n *Assign, old any, t *Type) (any, error) {
	op := "+"
	if n.Op == "--" {
		op = "-"
	}
	if t.K == KInt {
		if old == nil {
			return nil, nil // (int?)null++ stays null
		}
		return intBinop(op, old, 1, t.ik(), n.Ctx == ctxChecked)
	}
	if t.K == KChar {
		return charArith(op, old, 1, n.Ctx == ctxChecked)
	}
	return binop(op, old, 1, t, tInt, t)
}

// charArith is c op x for c++, c-- and c op= x on a char: the operation
// in int, as C# promotes a char, then back to a char, wrapping past
// '\uffff' (or OverflowException in a checked context). A null char?
// stays null.
func charArith(op string, old, x any, chk bool) (any, error) {
	if old == nil || x == nil {
		return nil, nil
	}
	v, err := intBinop(op, charCode(old), charCode(x), ikInt, chk)
	if err != nil {
		return nil, err
	}
	c, err := intToKind(v.(int), ikUShort, chk)
	if err != nil {
		return nil, err
	}
	return string(rune(c.(int))), nil
}

// compoundValue is old op x for x op= y on a target of type t: an
// integral one in the promoted type (n.opT), then back to t's, as C#'s
// compound assignment converts (byte b += 1 narrows).
func compoundValue(n *Assign, old, x any, t *Type) (v any, err error) {
	chk := n.Ctx == ctxChecked
	if t.K == KChar {
		return charArith(strings.TrimSuffix(n.Op, "="), old, x, chk)
	}
	if n.opT != nil {
		if old == nil || x == nil {
			return nil, nil
		}
		if v, err = intBinop(strings.TrimSuffix(n.Op, "="), old, x, n.opT.ik(), chk); err != nil {
			return nil, err
		}
	} else if v, err = binop(strings.TrimSuffix(n.Op, "="), old, x, t, n.X.typ(), t); err != nil {
		return nil, err
	}
	if t.K == KInt && v != nil {
		return intConvert(v, t.ik(), chk)
	}
	return v, nil
}

// elemAssign is a[i] op= v, a[i]++ and the like on an array's, a list's
// or a dictionary's element: the receiver and the index evaluated once,
// the element read as a[i] reads it (IndexOutOfRangeException,
// KeyNotFoundException), the new value computed in the element's type,
// then written back. Its value is the new one, the old for a postfix
// ++ or --.
func (f *frame) elemAssign(n *Assign, t *Index) (any, error) {
	x, k, err := f.indexOperands(t)
	if err != nil {
		return nil, err
	}
	kind := ixArray
	set := arraySet
	if t.X.typ().K == KDict {
		kind, set = ixDynamic, dictSet
	}
	if l, ok := x.([]any); ok && isList(t.X.typ()) {
		if i := toInt(k); i < 0 || i >= len(l) { // List<T>'s indexer, not an array's
			return nil, errListIndex
		}
	}
	old, err := indexValue(x, k, kind)
	if err != nil {
		return nil, err
	}
	et := t.T
	var v any
	switch n.Op {
	case "++", "--":
		if v, err = incDec(n, old, et); err != nil {
			return nil, err
		}
	case "??=":
		if old != nil {
			return old, nil
		}
		if v, err = f.evalAs(n.X, et); err != nil {
			return nil, err
		}
	default:
		y, err := f.eval(n.X)
		if err != nil {
			return nil, err
		}
		if v, err = compoundValue(n, old, y, et); err != nil {
			return nil, err
		}
	}
	if et.K == KDecimal && v != nil {
		if v, err = toDecimal(v); err != nil {
			return nil, err
		}
	}
	if _, err := set.run([]any{x, k, v}); err != nil {
		return nil, err
	}
	if n.Post {
		return old, nil
	}
	return v, nil
}

// jset is token[key] = value.
func jset(x, k, v any) (any, error) {
	switch t := x.(type) {
	case *JObject:
		s, ok := k.(string)
		if !ok {
			return nil, exc("ArgumentException", "Set JObject values with invalid key value: %s. Object property name expected.", catStr(k))
		}
		if cur, has := t.M[t.key(s)]; has && isJContainer(v) && cur == v {
			return v, nil // the token it holds: nothing changes
		}
		t.Set(s, adopt(t, toJValue(v))) // o["k"] = null: a JValue null (JObject's indexer, JProperty.Value)
		return v, nil
	case *JArray:
		i, ok := k.(int)
		if !ok || i < 0 || i >= len(t.Items) {
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")
		}
		if isJContainer(v) && t.Items[i] == v {
			return v, nil
		}
		t.Items[i] = adopt(t, toJValue(v))
		return v, nil
	case nil:
		return nil, errNull
	}
	return nil, exc("InvalidOperationException", "Cannot set child value on Newtonsoft.Json.Linq.JValue.")
}

// ---- LINQ

func linqBuiltin(name string) *builtin { return byKey["linq."+name] }

func (f *frame) lambda(l *Lambda) func(any) (any, error) {
	if l.Block != nil {
		return func(x any) (any, error) {
			if err := f.step(); err != nil {
				return nil, err
			}
			f.vars[l.locals[0].slot] = x
			return f.runBlock(l)
		}
	}
	return func(x any) (any, error) {
		if err := f.step(); err != nil {
			return nil, err
		}
		f.vars[l.locals[0].slot] = x
		return f.eval(l.Body)
	}
}

// run gives the value of a lambda whose parameters are set: its
// expression's, or what its statement body returns.
func (f *frame) run(l *Lambda) (any, error) {
	if l.Block == nil {
		return f.eval(l.Body)
	}
	return f.runBlock(l)
}

// runBlock runs a lambda's statement body and gives what it returns.
func (f *frame) runBlock(l *Lambda) (any, error) {
	c, v, err := f.exec(l.Block)
	if err != nil {
		return nil, err
	}
	if c != ctlReturn { // the binder saw a return or throw on every path: while (true) { break; }
		return nil, exc("InvalidOperationException", "the lambda ended without returning a value")
	}
	return v, nil
}

func (f *frame) linq(n *Call, m *Member) (any, error) {
	if m.Name == "ThenBy" || m.Name == "ThenByDescending" {
		return f.thenBy(n) // the whole ordering chain, from its source
	}
	recv, err := f.eval(m.X)
	if err != nil {
		return nil, err
	}
	seq, err := items(recv)
	if err != nil {
		return nil, err
	}
	cmp, err := f.comparer(n)
	if err != nil {
		return nil, err
	}
	if m.Name == "GroupBy" && len(n.Args) > 1 {
		return f.groupBySelected(n, seq, cmp)
	}
	if m.Name == "Aggregate" || m.Name == "ToDictionary" || m.Name == "Zip" || twoParamLambda(n) {
		return f.linqTwo(n, m, seq, cmp)
	}
	var fn func(any) (any, error)
	var arg any
	if len(n.Args) == 1 {
		if l, ok := n.Args[0].X.(*Lambda); ok {
			fn = f.lambda(l)
		} else if arg, err = f.eval(n.Args[0].X); err != nil {
			return nil, err
		}
	}
	if n.sum != "" {
		arg = n.sum // Sum, Average: how they add
	}
	if m.Name == "DefaultIfEmpty" && len(n.Args) == 0 {
		arg = zeroOf(n.T.Elem) // default(T): 0 for an int, a KeyValuePair whose Key is null
	}
	var v any
	if cmp != nil {
		v, err = linqCmp(m.Name, seq, fn, arg, cmp) // comparer.go
	} else {
		v, err = linqRun(m.Name, seq, fn, arg)
	}
	if err == nil && v == nil && strings.HasSuffix(m.Name, "OrDefault") {
		return zeroOf(n.T), nil // default(T): 0 for an int, null for a reference
	}
	if err == nil && n.T.K == KBytes && m.Name == "ToArray" {
		return bytesFromItems(v)
	}
	return v, err
}

// bytesFromItems is a List<byte>'s ToArray(): its items (ints) as a byte[].
func bytesFromItems(v any) (any, error) {
	xs, err := items(v)
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(xs))
	for i, x := range xs {
		b[i] = byte(toInt(x))
	}
	return b, nil
}

// linqRun implements the LINQ operators over a materialized sequence.
func linqRun(name string, seq []any, fn func(any) (any, error), arg any) (any, error) {
	test := func(x any) (bool, error) {
		if fn == nil {
			return true, nil
		}
		v, err := fn(x)
		return v == true, err
	}
	switch name {
	case "Where":
		out := []any{}
		for _, x := range seq {
			ok, err := test(x)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, x)
			}
		}
		return out, nil
	case "Select":
		out := make([]any, len(seq))
		for i, x := range seq {
			v, err := fn(x)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case "Any", "All", "Count":
		c := 0
		for _, x := range seq {
			ok, err := test(x)
			if err != nil {
				return nil, err
			}
			if ok {
				c++
				if name == "Any" {
					return true, nil
				}
			} else if name == "All" {
				return false, nil
			}
		}
		switch name {
		case "Any":
			return false, nil
		case "All":
			return true, nil
		}
		return c, nil
	case "First", "FirstOrDefault", "Last", "LastOrDefault", "Single", "SingleOrDefault":
		var found []any
		for _, x := range seq {
			ok, err := test(x)
			if err != nil {
				return nil, err
			}
			if ok {
				found = append(found, x)
			}
		}
		// .NET's messages: "matching" for the overloads with a predicate
		// (a lowered program filters first and says so with arg true)
		matching := ""
		if fn != nil || arg == true {
			matching = " matching"
		}
		if len(found) == 0 {
			if strings.HasSuffix(name, "OrDefault") {
				return nil, nil
			}
			if matching == "" {
				return nil, exc("InvalidOperationException", "Sequence contains no elements")
			}
			return nil, exc("InvalidOperationException", "Sequence contains no matching element")
		}
		switch {
		case strings.HasPrefix(name, "Last"):
			return found[len(found)-1], nil
		case strings.HasPrefix(name, "Single") && len(found) > 1:
			return nil, exc("InvalidOperationException", "Sequence contains more than one%s element", matching)
		}
		return found[0], nil
	case "ToArray", "ToList":
		return append([]any{}, seq...), nil
	case "Reverse":
		out := make([]any, len(seq))
		for i, x := range seq {
			out[len(seq)-1-i] = x
		}
		return out, nil
	case "Distinct", "Contains", "Except", "Intersect", "Union", "SequenceEqual":
		return linqCmp(name, seq, fn, arg, nil) // with the default comparer: equalNET
	case "Skip", "Take":
		k := min(max(toInt(arg), 0), len(seq))
		if name == "Skip" {
			return append([]any{}, seq[k:]...), nil
		}
		return append([]any{}, seq[:k]...), nil
	case "GroupBy":
		return groupBy(seq, fn)
	case "ElementAt", "ElementAtOrDefault":
		i := toInt(arg)
		if i < 0 || i >= len(seq) {
			if name == "ElementAtOrDefault" {
				return nil, nil
			}
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")
		}
		return seq[i], nil
	case "DefaultIfEmpty":
		if len(seq) == 0 {
			return []any{arg}, nil
		}
		return append([]any{}, seq...), nil
	case "TakeWhile", "SkipWhile":
		k := 0
		for k < len(seq) {
			ok, err := test(seq[k])
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			k++
		}
		if name == "TakeWhile" {
			return append([]any{}, seq[:k]...), nil
		}
		return append([]any{}, seq[k:]...), nil
	case "SelectMany":
		out := []any{}
		for _, x := range seq {
			v, err := fn(x)
			if err != nil {
				return nil, err
			}
			more, err := items(v)
			if err != nil {
				return nil, err
			}
			if len(out)+len(more) > MaxItems {
				return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
			}
			out = append(out, more...)
		}
		return out, nil
	case "Concat":
		more, err := items(arg)
		if err != nil {
			return nil, err
		}
		if len(seq)+len(more) > MaxItems {
			return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
		}
		return append(append([]any{}, seq...), more...), nil
	case "OrderBy", "OrderByDescending":
		keys := make([][]any, len(seq))
		for i, x := range seq {
			k, err := fn(x)
			if err != nil {
				return nil, err
			}
			keys[i] = []any{k}
		}
		return sortByKeys(seq, keys, []bool{name == "OrderByDescending"})
	case "Average":
		mode, _ := arg.(string)
		sum, count, err := sumOf(seq, fn, mode)
		if err != nil {
			return nil, err
		}
		if count == 0 {
			if strings.HasSuffix(mode, "?") {
				return nil, nil // no item had a value
			}
			return nil, exc("InvalidOperationException", "Sequence contains no elements")
		}
		if d, ok := sum.(Decimal); ok {
			return decAverage(d, count)
		}
		return toFloat(sum) / float64(count), nil // (double)sum / count
	case "Sum":
		mode, _ := arg.(string)
		sum, _, err := sumOf(seq, fn, mode)
		return sum, err
	case "Max", "Min":
		var acc any
		for _, x := range seq {
			v := x
			if fn != nil {
				var err error
				if v, err = fn(x); err != nil {
					return nil, err
				}
			}
			if v == nil { // Max and Min skip nulls, as .NET's do (a null last made Min null, then "no elements")
				continue
			}
			if acc == nil {
				acc = v
				continue
			}
			switch name {
			case "Sum":
				if _, ok := acc.(float64); ok {
					acc = toFloat(acc) + toFloat(v)
				} else if _, ok := v.(float64); ok {
					acc = toFloat(acc) + toFloat(v)
				} else {
					acc = toInt(acc) + toInt(v)
				}
			default:
				c, err := compareNET(v, acc)
				if err != nil {
					return nil, err
				}
				if (name == "Max") == (c > 0) && c != 0 {
					acc = v
				}
			}
		}
		if acc == nil {
			if name == "Sum" {
				return 0, nil
			}
			if mode, _ := arg.(string); mode == "?" {
				return nil, nil // a nullable type's Max and Min: no item had a value
			}
			return nil, exc("InvalidOperationException", "Sequence contains no elements")
		}
		return acc, nil
	}
	return nil, fmt.Errorf("LINQ %s not supported", name)
}

// sumOf is Enumerable.Sum's loop (Average's too): it adds the items (or
// what fn selects), skipping nulls, in the type mode names (Call.sum):
// "int" and "long" checked, as .NET's Sum is even in an unchecked context
// (OverflowException at the first partial sum out of the type's range;
// Average of ints adds in long), "double" unchecked. Without a mode
// (""), it adds integers in long and doubles in double. count is how many
// items were added. (.NET 8 and later add a long enough int[] or
// List<int>, or of longs, in SIMD lanes, each checked: a sum that
// overflows midway and comes back in range may throw there or not,
// depending on the CPU; here it throws, as .NET's loop does.)
func sumOf(seq []any, fn func(any) (any, error), mode string) (sum any, count int, err error) {
	mode = strings.TrimSuffix(mode, "?")
	if mode == "decimal" {
		return decSumOf(seq, fn)
	}
	isFloat := mode == "double"
	var isum int
	var fsum float64
	for _, x := range seq {
		v := x
		if fn != nil {
			if v, err = fn(x); err != nil {
				return nil, 0, err
			}
		}
		if v == nil {
			continue // int?, double?: Sum and Average skip nulls
		}
		count++
		if _, ok := v.(float64); ok && !isFloat && mode == "" {
			isFloat, fsum = true, float64(isum)
		}
		if isFloat {
			fsum += toFloat(v)
			continue
		}
		n := toInt(v)
		s := isum + n
		if n > 0 && s < isum || n < 0 && s > isum || mode == "int" && s != int(int32(s)) {
			return nil, 0, errOverflow
		}
		isum = s
	}
	if isFloat {
		return fsum, count, nil
	}
	return isum, count, nil
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsNaN(f)
}

// twoParamLambda reports whether a LINQ call's lambda takes two parameters
// (Select((x, i) => ...)).
func twoParamLambda(n *Call) bool {
	if len(n.Args) != 1 {
		return false
	}
	l, ok := n.Args[0].X.(*Lambda)
	return ok && len(l.locals) == 2
}
