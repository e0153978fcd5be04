package xpath

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// funcCall is a call of a core function (core set) or of a host function.
type funcCall struct {
	name string // as written
	core *coreFunc
	host *Function
	args []exprNode
	h    int
}

func (f *funcCall) height() int { return f.h }

func (f *funcCall) eval(c *Context) (Value, error) {
	if f.core != nil {
		v, err := f.core.fn(c, f.args)
		if err != nil {
			return nil, fmt.Errorf("%s(): %w", f.name, err)
		}
		return v, nil
	}
	args := make([]Value, len(f.args))
	for i, a := range f.args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	if f.host.Call == nil {
		return nil, fmt.Errorf("%s(): not implemented", f.name)
	}
	v, err := f.host.Call(c, args)
	if err != nil {
		return nil, fmt.Errorf("%s(): %w", f.name, err)
	}
	if v, err = normalize(v); err != nil {
		return nil, fmt.Errorf("%s() returned %w", f.name, err)
	}
	return v, nil
}

// coreFunc is a function of the XPath 1.0 core library (section 4). Its
// implementation evaluates its own arguments.
type coreFunc struct {
	min, max int
	ret      vtype
	fn       func(c *Context, args []exprNode) (Value, error)
}

// coreFuncs is the core function library. max -1: no upper bound.
var coreFuncs = map[string]*coreFunc{
	// node-set functions
	"last":          {0, 0, vNumber, fnLast},
	"position":      {0, 0, vNumber, fnPosition},
	"count":         {1, 1, vNumber, fnCount},
	"id":            {1, 1, vNodeSet, fnID},
	"local-name":    {0, 1, vString, fnLocalName},
	"namespace-uri": {0, 1, vString, fnNamespaceURI},
	"name":          {0, 1, vString, fnName},
	// string functions
	"string":           {0, 1, vString, fnString},
	"concat":           {2, -1, vString, fnConcat},
	"starts-with":      {2, 2, vBoolean, fnStartsWith},
	"contains":         {2, 2, vBoolean, fnContains},
	"substring-before": {2, 2, vString, fnSubstringBefore},
	"substring-after":  {2, 2, vString, fnSubstringAfter},
	"substring":        {2, 3, vString, fnSubstring},
	"string-length":    {0, 1, vNumber, fnStringLength},
	"normalize-space":  {0, 1, vString, fnNormalizeSpace},
	"translate":        {3, 3, vString, fnTranslate},
	// boolean functions
	"boolean": {1, 1, vBoolean, fnBoolean},
	"not":     {1, 1, vBoolean, fnNot},
	"true":    {0, 0, vBoolean, fnTrue},
	"false":   {0, 0, vBoolean, fnFalse},
	"lang":    {1, 1, vBoolean, fnLang},
	// number functions
	"number":  {0, 1, vNumber, fnNumber},
	"sum":     {1, 1, vNumber, fnSum},
	"floor":   {1, 1, vNumber, fnFloor},
	"ceiling": {1, 1, vNumber, fnCeiling},
	"round":   {1, 1, vNumber, fnRound},
}

func evalString(c *Context, x exprNode) (string, error) {
	v, err := x.eval(c)
	if err != nil {
		return "", err
	}
	return ToString(v), nil
}

func evalNumber(c *Context, x exprNode) (float64, error) {
	v, err := x.eval(c)
	if err != nil {
		return 0, err
	}
	return ToNumber(v), nil
}

func evalNodeSet(c *Context, x exprNode) (NodeSet, error) {
	v, err := x.eval(c)
	if err != nil {
		return nil, err
	}
	return ToNodeSet(v)
}

// contextString is the string argument, or the context node's string-value
// when the argument is left out.
func contextString(c *Context, args []exprNode) (string, error) {
	if len(args) > 0 {
		return evalString(c, args[0])
	}
	if c.Node == nil {
		return "", errNoContext
	}
	return c.Node.StringValue(), nil
}

// firstNode is the first node of the node-set argument, or the context
// node when the argument is left out; nil for an empty node-set.
func firstNode(c *Context, args []exprNode) (*Node, error) {
	if len(args) == 0 {
		if c.Node == nil {
			return nil, errNoContext
		}
		return c.Node, nil
	}
	ns, err := evalNodeSet(c, args[0])
	if err != nil || len(ns) == 0 {
		return nil, err
	}
	return ns[0], nil
}

func fnLast(c *Context, _ []exprNode) (Value, error)     { return float64(c.Size), nil }
func fnPosition(c *Context, _ []exprNode) (Value, error) { return float64(c.Position), nil }

func fnCount(c *Context, args []exprNode) (Value, error) {
	ns, err := evalNodeSet(c, args[0])
	return float64(len(ns)), err
}

// fnID is id(). Documents are parsed without DTDs, so no attribute is of
// type ID and id() selects nothing; its argument is still evaluated (for
// its errors).
func fnID(c *Context, args []exprNode) (Value, error) {
	if _, err := args[0].eval(c); err != nil {
		return nil, err
	}
	return NodeSet{}, nil
}

func fnLocalName(c *Context, args []exprNode) (Value, error) {
	n, err := firstNode(c, args)
	if err != nil || n == nil {
		return "", err
	}
	switch n.Kind {
	case ElementNode, AttributeNode, ProcInstNode, NamespaceNode:
		return n.Local, nil
	}
	return "", nil
}

func fnNamespaceURI(c *Context, args []exprNode) (Value, error) {
	n, err := firstNode(c, args)
	if err != nil || n == nil {
		return "", err
	}
	switch n.Kind {
	case ElementNode, AttributeNode:
		return n.Space, nil
	}
	return "", nil
}

func fnName(c *Context, args []exprNode) (Value, error) {
	n, err := firstNode(c, args)
	if err != nil || n == nil {
		return "", err
	}
	switch n.Kind {
	case ElementNode, AttributeNode, ProcInstNode, NamespaceNode:
		return n.Name(), nil
	}
	return "", nil
}

func fnString(c *Context, args []exprNode) (Value, error) { return contextString(c, args) }

func fnConcat(c *Context, args []exprNode) (Value, error) {
	var b strings.Builder
	for _, a := range args {
		s, err := evalString(c, a)
		if err != nil {
			return nil, err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// twoStrings evaluates the two string arguments of a string function.
func twoStrings(c *Context, args []exprNode) (string, string, error) {
	a, err := evalString(c, args[0])
	if err != nil {
		return "", "", err
	}
	b, err := evalString(c, args[1])
	return a, b, err
}

func fnStartsWith(c *Context, args []exprNode) (Value, error) {
	a, b, err := twoStrings(c, args)
	return strings.HasPrefix(a, b), err
}

func fnContains(c *Context, args []exprNode) (Value, error) {
	a, b, err := twoStrings(c, args)
	return strings.Contains(a, b), err
}

func fnSubstringBefore(c *Context, args []exprNode) (Value, error) {
	a, b, err := twoStrings(c, args)
	if err != nil {
		return nil, err
	}
	if i := strings.Index(a, b); i >= 0 {
		return a[:i], nil
	}
	return "", nil
}

func fnSubstringAfter(c *Context, args []exprNode) (Value, error) {
	a, b, err := twoStrings(c, args)
	if err != nil {
		return nil, err
	}
	if i := strings.Index(a, b); i >= 0 {
		return a[i+len(b):], nil
	}
	return "", nil
}

// fnSubstring is substring(s, start, length?): the characters whose
// position p satisfies round(start) <= p < round(start) + round(length),
// with IEEE arithmetic (so NaN selects nothing and infinities work out).
func fnSubstring(c *Context, args []exprNode) (Value, error) {
	s, err := evalString(c, args[0])
	if err != nil {
		return nil, err
	}
	start, err := evalNumber(c, args[1])
	if err != nil {
		return nil, err
	}
	start = round(start)
	end := math.Inf(1)
	if len(args) == 3 {
		n, err := evalNumber(c, args[2])
		if err != nil {
			return nil, err
		}
		end = start + round(n)
	}
	if !(start < end) { // also NaN
		return "", nil
	}
	from, to := -1, len(s)
	p := 0.0
	for i := range s { // i steps over characters
		p++
		if from < 0 && p >= start && p < end {
			from = i
		}
		if from >= 0 && !(p < end) {
			to = i
			break
		}
	}
	if from < 0 {
		return "", nil
	}
	return s[from:to], nil
}

func fnStringLength(c *Context, args []exprNode) (Value, error) {
	s, err := contextString(c, args)
	return float64(utf8.RuneCountInString(s)), err
}

func fnNormalizeSpace(c *Context, args []exprNode) (Value, error) {
	s, err := contextString(c, args)
	if err != nil {
		return nil, err
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}), " "), nil
}

func fnTranslate(c *Context, args []exprNode) (Value, error) {
	s, from, err := twoStrings(c, args)
	if err != nil {
		return nil, err
	}
	to, err := evalString(c, args[2])
	if err != nil {
		return nil, err
	}
	toR := []rune(to)
	m := make(map[rune]rune) // -1: delete
	i := 0
	for _, r := range from {
		if _, ok := m[r]; !ok {
			if i < len(toR) {
				m[r] = toR[i]
			} else {
				m[r] = -1
			}
		}
		i++
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if t, ok := m[r]; ok {
			if t >= 0 {
				b.WriteRune(t)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

func fnBoolean(c *Context, args []exprNode) (Value, error) {
	v, err := args[0].eval(c)
	if err != nil {
		return nil, err
	}
	return ToBoolean(v), nil
}

func fnNot(c *Context, args []exprNode) (Value, error) {
	v, err := args[0].eval(c)
	if err != nil {
		return nil, err
	}
	return !ToBoolean(v), nil
}

func fnTrue(*Context, []exprNode) (Value, error)  { return true, nil }
func fnFalse(*Context, []exprNode) (Value, error) { return false, nil }

// fnLang is lang(s): whether the xml:lang in effect at the context node
// (on it or its nearest ancestor that has one) is s or a sublanguage of s,
// ignoring case.
func fnLang(c *Context, args []exprNode) (Value, error) {
	want, err := evalString(c, args[0])
	if err != nil {
		return nil, err
	}
	if c.Node == nil {
		return nil, errNoContext
	}
	for n := c.Node; n != nil; n = n.Parent {
		if n.Kind != ElementNode {
			continue
		}
		for _, a := range n.Attrs {
			if a.Local == "lang" && a.Space == XMLNamespace {
				l := a.Data
				return strings.EqualFold(l, want) ||
					len(l) > len(want) && l[len(want)] == '-' && strings.EqualFold(l[:len(want)], want), nil
			}
		}
	}
	return false, nil
}

func fnNumber(c *Context, args []exprNode) (Value, error) {
	if len(args) == 0 {
		if c.Node == nil {
			return nil, errNoContext
		}
		return StringToNumber(c.Node.StringValue()), nil
	}
	return evalNumber(c, args[0])
}

func fnSum(c *Context, args []exprNode) (Value, error) {
	ns, err := evalNodeSet(c, args[0])
	if err != nil {
		return nil, err
	}
	sum := 0.0
	for _, n := range ns {
		sum += StringToNumber(n.StringValue())
	}
	return sum, nil
}

func fnFloor(c *Context, args []exprNode) (Value, error) {
	f, err := evalNumber(c, args[0])
	return math.Floor(f), err
}

func fnCeiling(c *Context, args []exprNode) (Value, error) {
	f, err := evalNumber(c, args[0])
	return math.Ceil(f), err
}

func fnRound(c *Context, args []exprNode) (Value, error) {
	f, err := evalNumber(c, args[0])
	return round(f), err
}

// round is XPath's round(): the nearest integer, halves toward +Infinity;
// NaN, infinities and zeros are themselves, and -0.5 <= x < 0 gives -0.
func round(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x == 0 {
		return x
	}
	f := math.Floor(x)
	if x-f >= 0.5 {
		f++
	}
	if f == 0 && x < 0 {
		return math.Copysign(0, -1)
	}
	return f
}
