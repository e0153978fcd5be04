package xpath

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ToString converts a value as XPath 1.0's string() does: a node-set is the
// string-value of its first node (in document order), a fragment that of its
// root.
func ToString(v Value) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return NumberToString(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case NodeSet:
		if len(x) == 0 {
			return ""
		}
		return x[0].StringValue()
	case *Fragment:
		if x == nil || x.Root == nil {
			return ""
		}
		return x.Root.StringValue()
	}
	return ""
}

// ToNumber converts a value as XPath 1.0's number() does.
func ToNumber(v Value) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case bool:
		if x {
			return 1
		}
		return 0
	case string:
		return StringToNumber(x)
	}
	return StringToNumber(ToString(v))
}

// ToBoolean converts a value as XPath 1.0's boolean() does; a fragment is
// true (it holds a root node).
func ToBoolean(v Value) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	case NodeSet:
		return len(x) > 0
	case *Fragment:
		return x != nil && x.Root != nil
	}
	return false
}

// ToNodeSet returns v if it is a node-set; anything else, a *Fragment
// included, is an error.
func ToNodeSet(v Value) (NodeSet, error) {
	switch x := v.(type) {
	case NodeSet:
		return x, nil
	case *Fragment:
		return nil, errFragment
	case string:
		return nil, fmt.Errorf("cannot convert the string %s to a node-set", strconv.Quote(clip(x)))
	case float64:
		return nil, fmt.Errorf("cannot convert the number %s to a node-set", NumberToString(x))
	case bool:
		return nil, fmt.Errorf("cannot convert the boolean %t to a node-set", x)
	}
	return nil, fmt.Errorf("cannot convert %T to a node-set", v)
}

// clip shortens a string for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// NumberToString converts a number as XPath 1.0's string() does (section
// 4.2): NaN, Infinity, -Infinity, integers without a decimal point, and no
// exponent ever; negative zero is "0".
func NumberToString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	// The shortest decimal that reads back as f, written out in full.
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// StringToNumber converts a string as XPath 1.0's number() does: optional
// whitespace, an optional minus, a Number (digits with an optional decimal
// point), optional whitespace; anything else is NaN.
func StringToNumber(s string) float64 {
	s = strings.Trim(s, " \t\r\n")
	t := strings.TrimPrefix(s, "-")
	digits, dot := 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dot++
		default:
			return math.NaN()
		}
	}
	if digits == 0 || dot > 1 {
		return math.NaN()
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return math.NaN()
	}
	return f // out of range: ±Inf or ±0, the nearest IEEE values
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// compare applies a comparison operator as XPath 1.0 section 3.4 says.
func compare(op binOp, a, b Value) bool {
	if f, ok := a.(*Fragment); ok {
		a = fragmentNodes(f)
	}
	if f, ok := b.(*Fragment); ok {
		b = fragmentNodes(f)
	}
	an, aok := a.(NodeSet)
	bn, bok := b.(NodeSet)
	switch {
	case aok && bok:
		return compareSets(op, an, bn)
	case aok:
		return compareSetValue(op, an, b)
	case bok:
		return compareSetValue(flip(op), bn, a)
	}
	return compareScalars(op, a, b)
}

func fragmentNodes(f *Fragment) NodeSet {
	if f == nil || f.Root == nil {
		return nil
	}
	return NodeSet{f.Root}
}

// flip swaps the operands of a comparison.
func flip(op binOp) binOp {
	switch op {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return op
}

func compareScalars(op binOp, a, b Value) bool {
	if op == opEq || op == opNe {
		_, ab := a.(bool)
		_, bb := b.(bool)
		_, af := a.(float64)
		_, bf := b.(float64)
		var eq bool
		switch {
		case ab || bb:
			eq = ToBoolean(a) == ToBoolean(b)
		case af || bf:
			eq = ToNumber(a) == ToNumber(b)
		default:
			eq = ToString(a) == ToString(b)
		}
		return eq == (op == opEq)
	}
	return compareNumbers(op, ToNumber(a), ToNumber(b))
}

func compareNumbers(op binOp, x, y float64) bool {
	switch op {
	case opEq:
		return x == y
	case opNe:
		return x != y
	case opLt:
		return x < y
	case opLe:
		return x <= y
	case opGt:
		return x > y
	}
	return x >= y
}

// compareSetValue compares each node of ns with v (ns on the left).
func compareSetValue(op binOp, ns NodeSet, v Value) bool {
	switch x := v.(type) {
	case bool:
		return compareScalars(op, len(ns) > 0, x)
	case float64:
		for _, n := range ns {
			if compareNumbers(op, StringToNumber(n.StringValue()), x) {
				return true
			}
		}
	case string:
		if op == opEq || op == opNe {
			for _, n := range ns {
				if (n.StringValue() == x) == (op == opEq) {
					return true
				}
			}
			return false
		}
		y := StringToNumber(x)
		for _, n := range ns {
			if compareNumbers(op, StringToNumber(n.StringValue()), y) {
				return true
			}
		}
	}
	return false
}

// compareSets compares two node-sets: true if some pair of nodes compares
// true. Linear in the sizes, not their product.
func compareSets(op binOp, a, b NodeSet) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	switch op {
	case opEq:
		if len(a) > len(b) {
			a, b = b, a
		}
		set := make(map[string]struct{}, len(a))
		for _, n := range a {
			set[n.StringValue()] = struct{}{}
		}
		for _, n := range b {
			if _, ok := set[n.StringValue()]; ok {
				return true
			}
		}
		return false
	case opNe:
		// False only if every string of both sets is the same one.
		s := a[0].StringValue()
		for _, ns := range []NodeSet{a[1:], b} {
			for _, n := range ns {
				if n.StringValue() != s {
					return true
				}
			}
		}
		return false
	}
	aMin, aMax, aok := numRange(a)
	bMin, bMax, bok := numRange(b)
	if !aok || !bok {
		return false
	}
	switch op {
	case opLt:
		return aMin < bMax
	case opLe:
		return aMin <= bMax
	case opGt:
		return aMax > bMin
	}
	return aMax >= bMin
}

// numRange is the least and greatest number among the nodes' string-values
// (NaN left out, since it compares false with everything).
func numRange(ns NodeSet) (lo, hi float64, ok bool) {
	for _, n := range ns {
		f := StringToNumber(n.StringValue())
		if math.IsNaN(f) {
			continue
		}
		if !ok {
			lo, hi, ok = f, f, true
			continue
		}
		lo, hi = min(lo, f), max(hi, f)
	}
	return lo, hi, ok
}

// Static types, for deciding whether a predicate depends on the context
// position.

type vtype uint8

const (
	vAny vtype = iota
	vNumber
	vString
	vBoolean
	vNodeSet
)

func staticType(x exprNode) vtype {
	switch n := x.(type) {
	case *literal:
		if _, ok := n.v.(string); ok {
			return vString
		}
		return vNumber
	case *binaryExpr:
		if n.op <= opGe {
			return vBoolean
		}
		return vNumber
	case *logicalExpr:
		return vBoolean
	case *negExpr:
		return vNumber
	case *unionExpr, *pathExpr:
		return vNodeSet
	case *filterExpr:
		return vNodeSet // or an error
	case *funcCall:
		if n.core != nil {
			return n.core.ret
		}
	}
	return vAny
}

// usesPosition reports whether x calls position() or last() for its own
// context (not inside nested predicates, which have their own).
func usesPosition(x exprNode) bool { return calls(x, "position") || calls(x, "last") }

// calls reports whether x calls the core function name for its own
// context.
func calls(x exprNode, name string) bool {
	switch n := x.(type) {
	case *binaryExpr:
		return calls(n.l, name) || calls(n.r, name)
	case *logicalExpr:
		return anyCalls(n.args, name)
	case *negExpr:
		return calls(n.x, name)
	case *unionExpr:
		return anyCalls(n.args, name)
	case *filterExpr:
		return calls(n.primary, name)
	case *pathExpr:
		return n.filter != nil && calls(n.filter, name)
	case *funcCall:
		if n.core != nil && n.name == name {
			return true
		}
		return anyCalls(n.args, name)
	}
	return false
}

func anyCalls(xs []exprNode, name string) bool {
	for _, x := range xs {
		if calls(x, name) {
			return true
		}
	}
	return false
}

// positional reports whether a predicate's outcome may depend on the
// context position or size: it is a number (compared with the position) or
// may be one, or it calls position() or last(). Host functions are taken
// not to depend on Context.Position and Size (no XSLT 1.0 function does).
func positional(pred exprNode) bool {
	switch staticType(pred) {
	case vAny, vNumber:
		return true
	}
	return usesPosition(pred)
}

func anyPositional(preds []exprNode) bool {
	for _, p := range preds {
		if positional(p) {
			return true
		}
	}
	return false
}
