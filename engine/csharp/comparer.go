package csharp

import (
	"hash/fnv"
	"strings"
	"unicode"

	"golang.org/x/text/collate"
)

// StringComparer: StringComparer.Ordinal, OrdinalIgnoreCase,
// InvariantCulture, InvariantCultureIgnoreCase, CurrentCulture and
// CurrentCultureIgnoreCase, each comparing as the StringComparison of its
// name (the current culture is the invariant one here). A comparer is a
// value (strComparer, the StringComparison's number) that Dictionary,
// HashSet and the LINQ operators taking an IEqualityComparer<string> or
// IComparer<string> use:
//
//   - Ordinal: the UTF-8 bytes, which order as the UTF-16 units do but for
//     characters past U+FFFF;
//   - OrdinalIgnoreCase: each character's simple upper case (.NET's
//     invariant ToUpper of each character), then ordinal;
//   - the culture comparers: Unicode's root collation (CLDR, as .NET applies
//     it for the invariant culture through ICU), case-sensitive or not:
//     equal strings are those whose collation keys are equal (so "e\u0301"
//     equals "é", as in .NET on ICU).

// strComparer is a StringComparer at run time: its StringComparison.
type strComparer int

var tStrCmp = &Type{K: KStrCmp, Name: "StringComparer"}

var comparerCodes = map[string]strComparer{"CurrentCulture": 0, "CurrentCultureIgnoreCase": 1, "InvariantCulture": 2,
	"InvariantCultureIgnoreCase": 3, "Ordinal": 4, "OrdinalIgnoreCase": 5}

// cmpKey is s in its comparer's form: two strings are equal under the
// comparer when their keys are.
func cmpKey(s string, c strComparer) string {
	switch c {
	case 4:
		return s
	case 5:
		return strings.Map(unicode.ToUpper, s)
	}
	i := int(c % 2)
	col := collators[i].Get().(*collate.Collator)
	var buf collate.Buffer
	k := string(col.KeyFromString(&buf, s))
	collators[i].Put(col)
	return k
}

// strEqual is comparer.Equals(a, b) (null equals null only).
func strEqual(a, b any, c strComparer) bool {
	x, xok := a.(string)
	y, yok := b.(string)
	if !xok || !yok {
		return a == nil && b == nil || xok && yok
	}
	switch c {
	case 4:
		return x == y
	case 5:
		return cmpKey(x, 5) == cmpKey(y, 5)
	}
	return cultureCompare(x, y, c%2 == 1) == 0
}

// strCompare is comparer.Compare(a, b): null first, -1, 0 or 1.
func strCompare(a, b any, c strComparer) int {
	x, _ := a.(string)
	y, _ := b.(string)
	return nullsFirst(a, b, func() int { return compareWith(x, y, int(c)) })
}

// asComparer reads a comparer argument (null: the default, ordinal for
// equality).
func asComparer(v any) (strComparer, bool) {
	c, ok := v.(strComparer)
	return c, ok
}

// eqFor is the equality a LINQ operator uses: the comparer's, or .NET's
// default (equalNET) without one.
func eqFor(cmp any) func(a, b any) bool {
	if c, ok := asComparer(cmp); ok {
		return func(a, b any) bool { return strEqual(a, b, c) }
	}
	return equalNET
}

func registerComparers() {
	registerCollections()
	for name, code := range comparerCodes {
		c := code
		staticProp("StringComparer", name, tStrCmp, func([]any) (any, error) { return c, nil }, nil)
	}
	registerDefaultComparers()
	S := tString
	method(KStrCmp, "Equals", ts(S, S), tBool, func(a []any) (any, error) {
		return strEqual(a[1], a[2], a[0].(strComparer)), nil
	}, nil)
	method(KStrCmp, "Compare", ts(S, S), tInt, func(a []any) (any, error) {
		return strCompare(a[1], a[2], a[0].(strComparer)), nil
	}, nil)
	method(KStrCmp, "GetHashCode", ts(S), tInt, func(a []any) (any, error) {
		s, ok := a[1].(string)
		if !ok {
			return nil, argNull("obj")
		}
		h := fnv.New32a()
		h.Write([]byte(cmpKey(s, a[0].(strComparer))))
		return int(int32(h.Sum32())), nil // stable, where .NET's is randomized per process
	}, nil)
}

// ---- binding

// isSet reports whether t is a HashSet<T> (or ISet<T>): a list here, whose
// Add leaves out what it holds already.
func isSet(t *Type) bool {
	return t.K == KArray && (strings.HasPrefix(t.Name, "HashSet<") || strings.HasPrefix(t.Name, "ISet<") || t.SetCmp != "")
}

// comparerMember is StringComparer.name, written by the binder.
func comparerMember(name string, off int) Expr {
	return &Member{node: node{Off: off}, X: &Name{node: node{Off: off}, Name: "StringComparer"}, Name: name, NameOff: off}
}

// comparerOps are the LINQ operators with an IEqualityComparer<string> (or
// IComparer<string>) overload, and how many arguments come before it.
var comparerOps = map[string]int{"Distinct": 0, "Contains": 1, "Except": 1, "Intersect": 1, "Union": 1, "GroupBy": 1,
	"ToDictionary": 1, "OrderBy": 1, "OrderByDescending": 1, "ThenBy": 1, "ThenByDescending": 1, "SequenceEqual": 1}

// takeComparer takes a LINQ operator's StringComparer argument out of its
// arguments into n.cmp (the interpreter runs the operator with it), and
// gives a HashSet made with a comparer its comparer for Contains.
func (b *binder) takeComparer(n *Call, xt *Type) error {
	m := n.F.(*Member)
	if m.Name == "Contains" && xt.SetCmp != "" && len(n.Args) == 1 {
		n.cmp = comparerMember(xt.SetCmp, m.NameOff)
		if _, err := b.expr(n.cmp); err != nil {
			return err
		}
		b.needInterp("Contains of a HashSet with a comparer")
		return nil
	}
	before, ok := comparerOps[m.Name]
	if !ok || len(n.Args) <= before {
		return nil
	}
	last := n.Args[len(n.Args)-1]
	switch last.X.(type) {
	case *Name, *Member:
	default:
		return nil
	}
	if last.Name != "" || last.Out {
		return nil
	}
	t, err := b.expr(last.X)
	ordering := strings.Contains(m.Name, "OrderBy") || strings.HasPrefix(m.Name, "ThenBy") // an IComparer<T>; the others an IEqualityComparer<T>
	if err == nil && (t.K == KDefCmp && ordering || t.K == KDefEqCmp && !ordering) {
		// Comparer<int>.Default and EqualityComparer<int>.Default are the
		// comparers the operator uses without one: the argument is left out
		n.Args = n.Args[:len(n.Args)-1]
		return nil
	}
	if err != nil || t.K != KStrCmp {
		return nil // not a comparer: the operator's own binding reports what is wrong
	}
	n.cmp = last.X
	n.Args = n.Args[:len(n.Args)-1]
	b.needInterp("LINQ " + m.Name + " with a comparer")
	return nil
}

var dictNew, setNew, listNew *builtin

// kvTexts is the texts ([k, v]) of a sequence of KeyValuePairs (bind.go kvArg).
var kvTexts *builtin

// collectionNew binds new List<T>(...), HashSet<T>(...) and
// Dictionary<string, T>(...) with constructor arguments: a capacity, a
// source collection, a StringComparer.
func (b *binder) collectionNew(n *NewExpr, t *Type, name string) (*Type, error) {
	if t.K == KDict {
		if len(n.Init) > 0 {
			return nil, b.errf(n.Off, "a dictionary initializer is written { { key, value }, ... } or { [key] = value, ... }")
		}
		if _, err := b.dictArgs(n); err != nil {
			return nil, err
		}
		return t, nil // Dictionary<string, V>(comparer): its values V
	}
	var at []*Type
	for _, a := range n.Args {
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		at = append(at, t)
	}
	for _, x := range n.Init {
		if _, err := b.expr(x); err != nil {
			return nil, err
		}
	}
	set := isSet(t)
	res := t
	for i, a := range at {
		switch {
		case a.K == KInt && i == 0 && (name == "List" || set || isQueue(t) || isStack(t)):
		case (a.K == KArray || a.K == KJArray || a.K == KString) && i == 0:
		case a.K == KStrCmp && set && i == len(at)-1:
			mm, ok := n.Args[i].X.(*Member)
			if ok && mm.prop != nil && mm.prop.key == "EqualityComparer<string>.Default" {
				ok, mm = true, comparerMember("Ordinal", mm.Off).(*Member) // string's Equals
				if _, err := b.expr(mm); err != nil {
					return nil, err
				}
				n.Args[i].X = mm
			}
			if !ok || mm.prop == nil || !strings.HasPrefix(mm.prop.key, "StringComparer.") {
				return nil, b.errf(n.Args[i].Off, "a HashSet's comparer is written StringComparer.Ordinal (or another of StringComparer's properties) here: the set keeps it with its type")
			}
			c := *t
			c.SetCmp = strings.TrimPrefix(mm.prop.key, "StringComparer.")
			res = &c
		default:
			return nil, b.errf(n.Args[i].Off, "'%s' has no constructor taking '%s' here", n.Type, typeName(a))
		}
	}
	n.ctor = listNew
	switch {
	case set:
		n.ctor = setNew
	case isStack(t):
		n.ctor = stackNew // queues.go
	}
	if len(n.Init) > 0 {
		b.needInterp("collection initializer with constructor arguments")
	}
	return res, nil
}

// dictArgs binds a Dictionary's constructor arguments: (capacity),
// (comparer), (capacity, comparer), (dictionary), (dictionary, comparer).
func (b *binder) dictArgs(n *NewExpr) (*Type, error) {
	for i, a := range n.Args {
		t, err := b.expr(a.X)
		if err != nil {
			return nil, err
		}
		switch {
		case i == 0 && (t.K == KInt || t.K == KDict || t.K == KJObject):
		case t.K == KStrCmp && i == len(n.Args)-1, t.K == KNull && i == len(n.Args)-1:
		default:
			return nil, b.errf(a.Off, "'Dictionary' has no constructor taking '%s' here", typeName(t))
		}
	}
	n.ctor = dictNew
	return tDict, nil
}

// ---- running

// setComparer makes o a Dictionary with comparer c.
func (o *JObject) setComparer(c strComparer) {
	o.cmp, o.idx = c, map[string]string{}
	for _, k := range o.Keys {
		o.idx[cmpKey(k, c)] = k
	}
}

// key is the key o holds for k: itself, or under o's comparer the one
// first added.
func (o *JObject) key(k string) string {
	if o.idx == nil {
		return k
	}
	if s, ok := o.idx[cmpKey(k, o.cmp)]; ok {
		return s
	}
	return k
}

func registerCollections() {
	dupKey := func(k string) error {
		return exc("ArgumentException", "An item with the same key has already been added. Key: %s", k)
	}
	dictNew = reg(&builtin{key: "Dictionary.new", result: tDict, run: func(a []any) (any, error) {
		o := NewJObject()
		cmp, rest, err := ctorArgs(a)
		if err != nil {
			return nil, err
		}
		if c, ok := asComparer(cmp); ok {
			o.setComparer(c)
		}
		for _, v := range rest {
			src, ok := v.(*JObject) // null: the default comparer
			if !ok {
				continue
			}
			for _, k := range src.Keys {
				if _, dup := o.M[o.key(k)]; dup {
					return nil, dupKey(k) // two keys the comparer finds equal
				}
				o.Set(k, src.M[k])
			}
		}
		return o, nil
	}})
	collection := func(key string, set bool) *builtin {
		return reg(&builtin{key: key, result: tObjects, run: func(a []any) (any, error) {
			out := []any{}
			cmp, rest, err := ctorArgs(a)
			if err != nil {
				return nil, err
			}
			var src []any
			for _, v := range rest {
				if v == nil {
					return nil, argNull("collection")
				}
				if src, err = items(v); err != nil {
					return nil, err
				}
			}
			if !set {
				return append(out, src...), nil
			}
			in := newLookup(cmp, eqFor(cmp), nil) // sets.go
			for _, x := range src {
				if !in.has(x) {
					in.add(x)
					out = append(out, x)
				}
			}
			return out, nil
		}})
	}
	listNew, setNew = collection("List.new", false), collection("HashSet.new", true)
}

// ctorArgs sorts a List's, HashSet's or Dictionary's constructor
// arguments: a capacity, which only has to be non-negative, the comparer,
// and the rest (the source collection, or a null).
func ctorArgs(a []any) (cmp any, rest []any, err error) {
	for _, v := range a {
		switch x := v.(type) {
		case int:
			if x < 0 {
				return nil, nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'capacity')")
			}
		case strComparer:
			cmp = x
		default:
			rest = append(rest, v)
		}
	}
	return cmp, rest, nil
}

func containsEq(list []any, x any, eq func(a, b any) bool) bool {
	for _, y := range list {
		if eq(x, y) {
			return true
		}
	}
	return false
}

// comparer is the value of n's comparer argument (nil without one, or
// for a null comparer: the default).
func (f *frame) comparer(n *Call) (any, error) {
	if n.cmp == nil {
		return nil, nil
	}
	return f.eval(n.cmp)
}

// comparerOf is the comparer a HashSet type was made with (nil: none).
func comparerOf(t *Type) any {
	if c, ok := comparerCodes[t.SetCmp]; ok && t.SetCmp != "" {
		return c
	}
	return nil
}

// cmpOrdered is an ordering key compared with a comparer (OrderBy(key,
// comparer)).
type cmpOrdered struct {
	v any
	c strComparer
}

func withComparer(key func(any) (any, error), cmp any) func(any) (any, error) {
	c, ok := asComparer(cmp)
	if !ok {
		return key
	}
	return func(x any) (any, error) {
		k, err := key(x)
		return cmpOrdered{k, c}, err
	}
}

// compareKeys orders two ordering keys: with their comparer, or as
// .NET's default comparer does.
func compareKeys(a, b any) (int, error) {
	if x, ok := a.(cmpOrdered); ok {
		return strCompare(x.v, b.(cmpOrdered).v, x.c), nil
	}
	return compareNET(a, b)
}

// linqCmp runs a LINQ operator given an IEqualityComparer<string> or
// IComparer<string> (cmp): Enumerable's, with the comparer's Equals or
// Compare where the default comparer would be used. linqRun runs its
// equality operators here too, with cmp nil: .NET's default equality.
func linqCmp(name string, seq []any, fn func(any) (any, error), arg any, cmp any) (any, error) {
	eq := eqFor(cmp)
	switch name {
	case "Distinct":
		out := []any{}
		for _, x := range seq {
			if !containsEq(out, x, eq) {
				out = append(out, x)
			}
		}
		return out, nil
	case "Contains":
		return containsEq(seq, arg, eq), nil
	case "SequenceEqual":
		other, err := items(arg)
		if err != nil {
			return nil, err
		}
		if len(other) != len(seq) {
			return false, nil
		}
		for i, x := range seq {
			if !eq(x, other[i]) {
				return false, nil
			}
		}
		return true, nil
	case "Except", "Intersect", "Union":
		other, err := items(arg)
		if err != nil {
			return nil, err
		}
		out := []any{}
		add := func(x any) {
			if !containsEq(out, x, eq) { // set operators give distinct items, in first-seen order
				out = append(out, x)
			}
		}
		for _, x := range seq {
			switch name {
			case "Except":
				if !containsEq(other, x, eq) {
					add(x)
				}
			case "Intersect":
				if containsEq(other, x, eq) {
					add(x)
				}
			default:
				add(x)
			}
		}
		if name == "Union" {
			if len(seq)+len(other) > MaxItems {
				return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
			}
			for _, x := range other {
				add(x)
			}
		}
		return out, nil
	case "GroupBy":
		return groupByEq(seq, fn, eq)
	case "OrderBy", "OrderByDescending":
		return linqRun(name, seq, withComparer(fn, cmp), arg) // keys that compareKeys orders with the comparer
	}
	return linqRun(name, seq, fn, arg)
}

// defComparer is Comparer<T>.Default (or EqualityComparer<T>.Default, eq)
// of a T other than string: T's own order (IComparable<T>) and equality,
// the ones LINQ, List<T>.Sort and Distinct use when given no comparer.
type defComparer struct {
	eq   bool
	name string // T's .NET name: System.Int32
}

func (c *defComparer) String() string {
	if c.eq {
		return "System.Collections.Generic.GenericEqualityComparer`1[" + c.name + "]"
	}
	return "System.Collections.Generic.GenericComparer`1[" + c.name + "]"
}

// defaultComparerTs are the T of Comparer<T>.Default and
// EqualityComparer<T>.Default: the C# name the parser writes and .NET's.
var defaultComparerTs = []struct {
	cs, net string
	t       *Type
}{{"int", "System.Int32", tInt}, {"long", "System.Int64", tLong}, {"double", "System.Double", tDouble},
	{"bool", "System.Boolean", tBool}, {"char", "System.Char", tChar}, {"decimal", "System.Decimal", tDecimal},
	{"DateTime", "System.DateTime", tDateTime}, {"TimeSpan", "System.TimeSpan", tTimeSpan},
	{"DateTimeOffset", "System.DateTimeOffset", tDTO}, {"Guid", "System.Guid", tGuid}}

// comparerTypeAlias is the name the parser writes for a Comparer's type
// argument: C#'s keyword for a System type.
var comparerTypeAlias = map[string]string{"String": "string", "System.String": "string", "Int32": "int", "System.Int32": "int",
	"Int64": "long", "System.Int64": "long", "Double": "double", "System.Double": "double", "Boolean": "bool",
	"System.Boolean": "bool", "Char": "char", "System.Char": "char", "Decimal": "decimal", "System.Decimal": "decimal",
	"System.DateTime": "DateTime", "System.TimeSpan": "TimeSpan", "System.DateTimeOffset": "DateTimeOffset", "System.Guid": "Guid"}

func registerDefaultComparers() {
	// Comparer<string>.Default orders as string.CompareTo does (the current
	// culture's comparison); EqualityComparer<string>.Default is string's
	// Equals, ordinal: StringComparer.CurrentCulture's and Ordinal's.
	staticProp("Comparer<string>", "Default", tStrCmp, func([]any) (any, error) { return comparerCodes["CurrentCulture"], nil }, nil)
	staticProp("EqualityComparer<string>", "Default", tStrCmp, func([]any) (any, error) { return comparerCodes["Ordinal"], nil }, nil)
	for _, d := range defaultComparerTs {
		for _, eq := range []bool{false, true} {
			typ := "Comparer<" + d.cs + ">"
			if eq {
				typ = "Equality" + typ
			}
			c := &defComparer{eq: eq, name: d.net}
			k := KDefCmp
			if eq {
				k = KDefEqCmp
			}
			staticProp(typ, "Default", &Type{K: k, Name: typ, Elem: d.t}, func([]any) (any, error) { return c, nil }, nil)
		}
	}
	O := tObject
	method(KDefCmp, "Compare", ts(O, O), tInt, func(a []any) (any, error) {
		return nullCompare(a[1], a[2], compareNET)
	}, nil)
	for _, k := range []Kind{KDefCmp, KDefEqCmp} {
		method(k, "ToString", ts(), tString, func(a []any) (any, error) { return a[0].(*defComparer).String(), nil }, nil)
		// Comparer<T>'s Equals(a, b) is object.Equals(a, b): T's Equals too
		method(k, "Equals", ts(O, O), tBool, func(a []any) (any, error) {
			return equalNET(a[1], a[2]), nil
		}, nil)
	}
}
