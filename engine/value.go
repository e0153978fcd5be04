package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"tollgate/engine/csharp"
)

// program is one compiled expression.
type program struct {
	prog    *vm.Program
	interp  *csharp.Program // a C# program the interpreter runs (prog is nil)
	src     string          // as written (named values not substituted), for messages
	elapsed bool            // reads context.Elapsed
	secret  bool            // built from a secret named value: never trace its result
	csharp  bool            // a C# program: run-time errors speak .NET
	fast    fastProg        // direct closures for simple shapes (fast.go); zero: VM only
	// readsUrl: the source may read context.Request.Url's scheme, host,
	// port or path, or take the request or its Url as a value (urlReader):
	// run builds the view RefreshUrl left to be built first.
	readsUrl bool
}

// failed stands for an expression that did not compile. It is never run:
// a plan with load errors is discarded. It is not a constant, so policies
// skip their literal checks on it and one mistake gives one message.
var failed = &program{src: "(invalid expression)"}

// Str is a string attribute or text: a constant, or an expression.
type Str struct {
	c string
	p *program
}

// ConstStr returns a constant Str.
func ConstStr(s string) Str { return Str{c: s} }

// IsConst reports whether the value is known at load time.
func (s Str) IsConst() bool { return s.p == nil }

// Const returns the constant (only meaningful when IsConst).
func (s Str) Const() string { return s.c }

// Secret reports whether the value came from a secret named value.
func (s Str) Secret() bool { return s.p != nil && s.p.secret }

// Eval returns the value for this request.
func (s Str) Eval(st *State) (string, error) {
	if s.p == nil {
		return s.c, nil
	}
	var v any
	var err error
	if f := s.p.fast.s; f != nil {
		if r, ok := try(st, f); ok {
			return r, nil
		}
		v, err = st.eval(s.p) // fast.a is f boxed: it would give up again
	} else {
		v, err = st.evalAny(s.p)
	}
	if err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		if s.p.csharp { // a C# DateTime reads as its ToString(), as a DateTimeOffset does (a Stringer)
			return csharp.FormatDateTime(x, "G"), nil
		}
		return x.String(), nil
	case fmt.Stringer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "", nil // a nil *Url (or other nil Stringer) reads as "", like nil
		}
		return x.String(), nil
	}
	return "", exprFailure(s.p, fmt.Errorf("result is %T, want a string", v))
}

// Bool is a boolean attribute: a constant, or an expression.
type Bool struct {
	c bool
	p *program
}

// ConstBool returns a constant Bool.
func ConstBool(b bool) Bool { return Bool{c: b} }

// IsConst reports whether the value is known at load time.
func (b Bool) IsConst() bool { return b.p == nil }

// Const returns the constant.
func (b Bool) Const() bool { return b.c }

// Eval returns the value for this request.
func (b Bool) Eval(st *State) (bool, error) {
	if b.p == nil {
		return b.c, nil
	}
	var v any
	var err error
	if f := b.p.fast.b; f != nil {
		if r, ok := try(st, f); ok {
			return r, nil
		}
		v, err = st.eval(b.p) // fast.a is f boxed: it would give up again
	} else {
		v, err = st.evalAny(b.p)
	}
	if err != nil {
		return false, err
	}
	if x, ok := v.(bool); ok {
		return x, nil
	}
	return false, exprFailure(b.p, fmt.Errorf("result is %T, want a bool", v))
}

// Int is an integer attribute: a constant, or an expression.
type Int struct {
	c        int64
	p        *program
	min, max int64
}

// ConstInt returns a constant Int.
func ConstInt(n int64) Int { return Int{c: n, min: math.MinInt64, max: math.MaxInt64} }

// IsConst reports whether the value is known at load time.
func (n Int) IsConst() bool { return n.p == nil }

// Const returns the constant.
func (n Int) Const() int64 { return n.c }

// Eval returns the value for this request; results outside the attribute's
// range are errors.
func (n Int) Eval(st *State) (int64, error) {
	if n.p == nil {
		return n.c, nil
	}
	var v any
	var err error
	if f := n.p.fast.i; f != nil {
		if x, ok := try(st, f); ok {
			return n.inRange(int64(x))
		}
		v, err = st.eval(n.p) // fast.a is f boxed: it would give up again
	} else {
		v, err = st.evalAny(n.p)
	}
	if err != nil {
		return 0, err
	}
	var r int64
	switch x := v.(type) {
	case int:
		r = int64(x)
	case int64:
		r = x
	case int32:
		r = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, exprFailure(n.p, fmt.Errorf("result %v is not a whole number", x))
		}
		if x >= 0x1p63 || x < -0x1p63 { // int64(x) would not say what x was
			return 0, exprFailure(n.p, fmt.Errorf("result %v is out of range [%d, %d]", x, n.min, n.max))
		}
		r = int64(x)
	case string:
		p, perr := strconv.ParseInt(x, 10, 64)
		if perr != nil {
			return 0, exprFailure(n.p, fmt.Errorf("result %q is not a whole number", x))
		}
		r = p
	default:
		return 0, exprFailure(n.p, fmt.Errorf("result is %T, want a number", v))
	}
	return n.inRange(r)
}

func (n Int) inRange(r int64) (int64, error) {
	if r < n.min || r > n.max {
		return 0, exprFailure(n.p, fmt.Errorf("result %d is out of range [%d, %d]", r, n.min, n.max))
	}
	return r, nil
}

// SecondsDuration is n seconds as a Duration, held at the longest one a
// Duration holds (about 292 years) where multiplying out would wrap around:
// for counts of seconds from outside (a backend's Retry-After, a token's
// expires_in).
func SecondsDuration(n int64) time.Duration {
	const most = math.MaxInt64 / int64(time.Second)
	return time.Duration(max(min(n, most), -most)) * time.Second
}

// Seconds evaluates an Int counted in seconds as a Duration.
func (n Int) Seconds(st *State) (time.Duration, error) {
	v, err := n.Eval(st)
	return time.Duration(v) * time.Second, err
}

// Value is an attribute of any type (set-variable's value): a literal is a
// string constant, an expression keeps its result type.
type Value struct {
	c any
	p *program
}

// IsConst reports whether the value is known at load time.
func (v Value) IsConst() bool { return v.p == nil }

// Secret reports whether the value came from a secret named value.
func (v Value) Secret() bool { return v.p != nil && v.p.secret }

// Eval returns the value for this request.
func (v Value) Eval(st *State) (any, error) {
	if v.p == nil {
		return v.c, nil
	}
	return st.evalAny(v.p)
}

// evalAny gives p's result from its fast path when it has one that
// answers, from the VM otherwise.
func (st *State) evalAny(p *program) (any, error) {
	if f := p.fast.a; f != nil {
		if v, ok := try(st, f); ok {
			return v, nil
		}
	}
	return st.eval(p)
}

// try runs a fast path; a panic in one (there should be none) is treated
// as "ask the VM", which then reports it.
func try[T any](st *State, f func(*State) (T, bool)) (v T, ok bool) {
	defer func() {
		if recover() != nil {
			var zero T
			v, ok = zero, false
		}
	}()
	return f(st)
}

// eval runs p; the failed placeholder (never in a loaded plan) is an error.
func (st *State) eval(p *program) (any, error) {
	if p.prog == nil && p.interp == nil {
		return nil, exprFailure(p, errors.New("the expression did not compile"))
	}
	return st.run(p)
}

// Bounds on what one expression may build while it runs. Going over is an
// ExpressionValueEvaluationFailure, like any other run-time error.
const (
	// MaxExprMemory is expr's memory budget for one evaluation, counted in
	// elements: ranges, arrays, maps and sorts charge their length.
	MaxExprMemory = 1 << 18
	// MaxExprString bounds the string repeat() may build, in bytes.
	MaxExprString = 1 << 20
)

// nilFetch matches what the expr VM says where a lowered C# program
// dereferences null: a member of nil, a nil pointer, or a typed operation
// (a string method, an unboxing) given nil where it asserts a type
// ("interface conversion: interface {} is nil, not string"); C# says
// NullReferenceException for each.
var nilFetch = regexp.MustCompile(`^(panic: )?(cannot (fetch|get) \S+ from|runtime error: invalid memory address or nil pointer dereference|interface conversion: interface \{\} is nil, not )`)

func exprFailure(p *program, err error) error {
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message // without expr's multi-line source snippet
	}
	msg = fastName.ReplaceAllString(msg, "")
	if errors.Is(err, errExprTimeout) {
		return &PolicyError{Reason: ReasonTimeout, Message: fmt.Sprintf("expression %s failed: %s", p.src, errExprTimeout.Error()),
			cause: context.DeadlineExceeded}
	}
	if errors.Is(err, errExprBytes) {
		msg = errExprBytes.Error()
	} else if p.csharp && nilFetch.MatchString(msg) {
		msg = "Object reference not set to an instance of an object."
	}
	return &PolicyError{Reason: ReasonExpression, Message: fmt.Sprintf("expression %s failed: %s", p.src, msg), cause: err}
}
