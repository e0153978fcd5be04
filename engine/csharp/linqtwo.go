package csharp

import (
	"fmt"
	"sort"
	"strings"
)

// bindLambda binds a lambda whose result type is inferred (a selector's,
// a key's): see bindLambdaTo.
func (b *binder) bindLambda(l *Lambda, params ...*Type) (*Type, error) {
	return b.bindLambdaTo(l, nil, params...)
}

// bindLambdaTo binds a lambda whose parameters have the types given (one
// local each, in a scope of their own) and gives its result type. An
// expression lambda's is its body's type. A lambda with a statement body
// (lambdaBlock) gives want, when the context gives one (a predicate's
// bool, an accumulator's type), or else the type C# infers from its
// return statements.
func (b *binder) bindLambdaTo(l *Lambda, want *Type, params ...*Type) (*Type, error) {
	b.push()
	defer b.pop()
	l.locals = make([]*local, len(params))
	for i, pt := range params {
		pl, err := b.declare(l.Params[i], l.Off, pt)
		if err != nil {
			return nil, err
		}
		pl.borrowed = true
		l.locals[i] = pl
	}
	if l.Block != nil {
		return b.lambdaBlock(l, want)
	}
	t, err := b.expr(l.Body)
	if err != nil {
		return nil, err
	}
	l.T = t
	return t, nil
}

// lambdaBlock binds the statement body of a lambda (x => { ...; return
// v; }) as C# does. It is a function body of its own: its returns give
// the lambda's value, a break or continue cannot leave it, and it sees the
// locals around it (and may change them). Every path must end in return
// or throw (CS1643). With want, each returned value converts to it;
// otherwise the result type is the best common type of the returned
// values, one they all convert to implicitly (CS0411 when there is none).
// Each return converts its value to the result (return 1 from a lambda
// giving double gives 1.0). It runs on the interpreter.
func (b *binder) lambdaBlock(l *Lambda, want *Type) (*Type, error) {
	b.needInterp("lambda with a statement body")
	defer b.enter(body{inLambda: true})()
	if err := b.block(l.Block); err != nil {
		return nil, err
	}
	if !returns(l.Block) {
		return nil, b.errf(l.Off, "not all code paths return a value in lambda expression")
	}
	t := want
	if want != nil {
		for i, r := range b.retStmts {
			if err := b.convertible(r.X, b.rets[i], want); err != nil {
				return nil, err
			}
		}
	} else {
		for i, r := range b.retStmts {
			rt := b.rets[i]
			if t == nil {
				t = rt
				continue
			}
			u := unify(t, rt)
			if u == nil {
				return nil, b.errf(r.X.pos(), "the lambda's return type cannot be inferred: it returns '%s' and '%s', and neither converts to the other (cast one)", typeName(t), typeName(rt))
			}
			t = u
		}
		switch {
		case t == nil:
			return nil, b.errf(l.Off, "the lambda's return type cannot be inferred: it returns no value (it only throws)")
		case t.K == KNull:
			return nil, b.errf(l.Off, "the lambda's return type cannot be inferred from null (cast it: return (string)null;)")
		}
	}
	for _, r := range b.retStmts {
		r.to = t
	}
	l.T = t
	return t, nil
}

// aggregate binds seq.Aggregate((acc, x) => ...) and
// seq.Aggregate(seed, (acc, x) => ...): a lambda of two parameters, the
// accumulator (the element's type, or the seed's) and the element.
func (b *binder) aggregate(n *Call, m *Member, elem *Type) (*Type, error) {
	var seedT *Type
	args := n.Args
	if len(args) == 2 {
		t, err := b.expr(args[0].X)
		if err != nil {
			return nil, err
		}
		seedT, args = t, args[1:]
	}
	if len(args) != 1 {
		return nil, b.errf(m.NameOff, "Aggregate takes a lambda (acc, x) => ..., and optionally a seed before it")
	}
	l, ok := args[0].X.(*Lambda)
	if !ok || len(l.Params) != 2 {
		return nil, b.errf(args[0].Off, "the argument of Aggregate must be a lambda of two parameters ((acc, x) => ...)")
	}
	accT := elem
	if seedT != nil {
		accT = seedT
	}
	t, err := b.bindLambdaTo(l, accT, accT, elem)
	if err != nil {
		return nil, err
	}
	if l.Block == nil {
		if err := b.convertible(l.Body, t, accT); err != nil {
			return nil, err
		}
	}
	l.T = accT
	n.method = linqBuiltin("Aggregate")
	b.needInterp("LINQ Aggregate")
	return accT, nil
}

// groupBySelectors binds GroupBy's overloads with selectors:
// GroupBy(x => key, x => element), GroupBy(x => key, (key, items) =>
// result) and GroupBy(x => key, x => element, (key, items) => result).
func (b *binder) groupBySelectors(n *Call, m *Member, elem *Type) (*Type, error) {
	lambda := func(i, params int) (*Lambda, error) {
		l, ok := n.Args[i].X.(*Lambda)
		if !ok || len(l.Params) != params {
			return nil, b.errf(n.Args[i].Off, "GroupBy takes a key lambda (x => key), then an element lambda (x => element) and/or a result lambda ((key, items) => result)")
		}
		return l, nil
	}
	if len(n.Args) > 3 {
		return nil, b.errf(m.NameOff, "no overload for method 'GroupBy' takes %d arguments", len(n.Args))
	}
	kl, err := lambda(0, 1)
	if err != nil {
		return nil, err
	}
	kt, err := b.bindLambda(kl, elem)
	if err != nil {
		return nil, err
	}
	et := elem
	next := 1
	if l, ok := n.Args[1].X.(*Lambda); ok && len(l.Params) == 1 {
		if et, err = b.bindLambda(l, elem); err != nil {
			return nil, err
		}
		next = 2
	}
	n.method = linqBuiltin("GroupBy")
	b.needInterp("LINQ GroupBy with selectors")
	if next == len(n.Args) {
		return arrayOf(&Type{K: KGrouping, Name: "IGrouping<" + kt.Name + ", " + et.Name + ">", Elem: et, Key: kt}), nil
	}
	rl, err := lambda(next, 2)
	if err != nil {
		return nil, err
	}
	if next+1 != len(n.Args) {
		return nil, b.errf(m.NameOff, "no overload for method 'GroupBy' takes %d arguments", len(n.Args))
	}
	rt, err := b.bindLambda(rl, kt, arrayOf(et))
	if err != nil {
		return nil, err
	}
	return arrayOf(rt), nil
}

// groupBySelected runs GroupBy with selectors (groupBySelectors): the
// groups of groupBy, their items mapped by the element lambda, then each
// group mapped by the result lambda.
func (f *frame) groupBySelected(n *Call, seq []any, cmp any) (any, error) {
	groups, err := groupByEq(seq, f.lambda(n.Args[0].X.(*Lambda)), eqFor(cmp))
	if err != nil {
		return nil, err
	}
	gs := groups.([]any)
	next := 1
	if l := n.Args[1].X.(*Lambda); len(l.Params) == 1 {
		sel := f.lambda(l)
		for _, g := range gs {
			g := g.(*grouping)
			for i, x := range g.Items {
				if g.Items[i], err = sel(x); err != nil {
					return nil, err
				}
			}
		}
		next = 2
	}
	if next == len(n.Args) {
		return gs, nil
	}
	rl := n.Args[next].X.(*Lambda)
	out := make([]any, len(gs))
	for i, g := range gs {
		if err := f.step(); err != nil {
			return nil, err
		}
		g := g.(*grouping)
		f.vars[rl.locals[0].slot], f.vars[rl.locals[1].slot] = g.Key, g.Items
		if out[i], err = f.run(rl); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// linqIndexed binds the overloads whose lambda takes two parameters:
// Select((x, i) => ...) and Where((x, i) => ...) with the index, and
// first.Zip(second, (a, b) => ...). ok is false for the others.
func (b *binder) linqIndexed(n *Call, m *Member, elem *Type) (*Type, bool, error) {
	var second *Type
	args := n.Args
	switch m.Name {
	case "Select", "Where":
		if len(args) != 1 {
			return nil, false, nil
		}
		if l, ok := args[0].X.(*Lambda); !ok || len(l.Params) != 2 {
			return nil, false, nil
		}
		second = tInt
	case "Zip":
		if len(args) != 2 {
			return nil, true, b.errf(m.NameOff, "Zip takes a sequence and a lambda (a, b) => ...")
		}
		st, err := b.expr(args[0].X)
		if err != nil {
			return nil, true, err
		}
		switch st.K {
		case KArray:
			second = st.Elem
		case KJArray:
			second = tJToken
		default:
			return nil, true, b.errf(args[0].Off, "Zip takes a sequence, not %s", typeName(st))
		}
		args = args[1:]
	default:
		return nil, false, nil
	}
	l, ok := args[0].X.(*Lambda)
	if !ok || len(l.Params) != 2 {
		return nil, true, b.errf(args[0].Off, "the argument of %s must be a lambda of two parameters", m.Name)
	}
	var want *Type
	if m.Name == "Where" {
		want = tBool
	}
	t, err := b.bindLambdaTo(l, want, elem, second)
	if err != nil {
		return nil, true, err
	}
	n.method = linqBuiltin(m.Name)
	b.needInterp("LINQ " + m.Name + " with two parameters")
	if m.Name == "Where" {
		if t.K != KBool {
			return nil, true, b.errf(l.Off, "the lambda of Where must return bool")
		}
		return arrayOf(elem), true, nil
	}
	return arrayOf(t), true, nil
}

// linqTwo runs Aggregate, ToDictionary, Zip and the indexed Select and
// Where, whose lambdas are not the one-parameter kind linqRun takes.
func (f *frame) linqTwo(n *Call, m *Member, seq []any, cmp any) (any, error) {
	switch m.Name {
	case "Select", "Where", "Zip":
		l := n.Args[len(n.Args)-1].X.(*Lambda)
		var other []any
		if m.Name == "Zip" {
			v, err := f.eval(n.Args[0].X)
			if err != nil {
				return nil, err
			}
			if other, err = items(v); err != nil {
				return nil, err
			}
		}
		out := []any{}
		for i, x := range seq {
			if m.Name == "Zip" && i >= len(other) {
				break
			}
			if err := f.step(); err != nil {
				return nil, err
			}
			f.vars[l.locals[0].slot] = x
			if m.Name == "Zip" {
				f.vars[l.locals[1].slot] = other[i]
			} else {
				f.vars[l.locals[1].slot] = i
			}
			v, err := f.run(l)
			if err != nil {
				return nil, err
			}
			switch {
			case m.Name != "Where":
				out = append(out, v)
			case v == true:
				out = append(out, x)
			}
		}
		return out, nil
	case "Aggregate":
		args := n.Args
		var acc any
		start := 0
		if len(args) == 2 {
			v, err := f.eval(args[0].X)
			if err != nil {
				return nil, err
			}
			acc, args = v, args[1:]
		} else {
			if len(seq) == 0 {
				return nil, exc("InvalidOperationException", "Sequence contains no elements")
			}
			acc, start = seq[0], 1
		}
		l := args[0].X.(*Lambda)
		for _, x := range seq[start:] {
			if err := f.step(); err != nil {
				return nil, err
			}
			f.vars[l.locals[0].slot], f.vars[l.locals[1].slot] = acc, x
			var v any
			var err error
			if l.Block != nil {
				v, err = f.run(l) // its returns convert to l.T
			} else {
				v, err = f.evalAs(l.Body, l.T)
			}
			if err != nil {
				return nil, err
			}
			acc = v
		}
		return acc, nil
	case "ToDictionary":
		out := NewJObject()
		if c, ok := asComparer(cmp); ok {
			out.setComparer(c)
		}
		key := f.lambda(n.Args[0].X.(*Lambda))
		val := func(x any) (any, error) { return x, nil }
		if len(n.Args) == 2 {
			val = f.lambda(n.Args[1].X.(*Lambda))
		}
		for _, x := range seq {
			k, err := key(x)
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				return nil, argNull("key")
			}
			if _, dup := out.M[out.key(ks)]; dup {
				return nil, exc("ArgumentException", "An item with the same key has already been added. Key: %s", ks)
			}
			v, err := val(x)
			if err != nil {
				return nil, err
			}
			out.Set(ks, toJToken(v))
		}
		return out, nil
	}
	return nil, fmt.Errorf("LINQ %s not bound", m.Name)
}

// grouping is an IGrouping from GroupBy: its key and its items, in the
// order they came.
type grouping struct {
	Key   any
	Items []any
}

var groupingKey = reg(&builtin{key: "IGrouping.Key", run: func(a []any) (any, error) {
	g, ok := a[0].(*grouping)
	if !ok || g == nil {
		return nil, errNull
	}
	return g.Key, nil
}})

// groupBy is GroupBy: groups in the order their first item came.
func groupBy(seq []any, key func(any) (any, error)) (any, error) {
	return groupByEq(seq, key, equalNET)
}

// groupByEq is GroupBy with keys compared by eq (a comparer's Equals).
func groupByEq(seq []any, key func(any) (any, error), eq func(a, b any) bool) (any, error) {
	var groups []*grouping
	for _, x := range seq {
		k, err := key(x)
		if err != nil {
			return nil, err
		}
		var g *grouping
		for _, h := range groups {
			if eq(h.Key, k) {
				g = h
				break
			}
		}
		if g == nil {
			g = &grouping{Key: k}
			groups = append(groups, g)
		}
		g.Items = append(g.Items, x)
	}
	out := make([]any, len(groups))
	for i, g := range groups {
		out[i] = g
	}
	return out, nil
}

// isOrdering reports whether c is OrderBy, OrderByDescending, ThenBy or
// ThenByDescending: what a ThenBy may follow.
func isOrdering(c *Call) bool {
	m, ok := c.F.(*Member)
	if !ok || c.method == nil || !strings.HasPrefix(c.method.key, "linq.") {
		return false
	}
	switch m.Name {
	case "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending":
		return true
	}
	return false
}

// thenBy runs an OrderBy(...).ThenBy(...)... chain as one stable sort on
// the keys in order, as .NET orders it.
func (f *frame) thenBy(n *Call) (any, error) {
	type level struct {
		key  func(any) (any, error)
		desc bool
	}
	var levels []level
	cur := n
	for {
		m := cur.F.(*Member)
		key := f.lambda(cur.Args[0].X.(*Lambda))
		if cur.cmp != nil { // ThenBy(key, comparer): its keys compare with it
			c, err := f.eval(cur.cmp)
			if err != nil {
				return nil, err
			}
			key = withComparer(key, c)
		}
		levels = append([]level{{key, strings.HasSuffix(m.Name, "Descending")}}, levels...)
		if strings.HasPrefix(m.Name, "OrderBy") {
			break
		}
		cur = m.X.(*Call)
	}
	src, err := f.eval(cur.F.(*Member).X)
	if err != nil {
		return nil, err
	}
	seq, err := items(src)
	if err != nil {
		return nil, err
	}
	keys := make([][]any, len(seq))
	desc := make([]bool, len(levels))
	for j, l := range levels {
		desc[j] = l.desc
	}
	for i, x := range seq {
		keys[i] = make([]any, len(levels))
		for j, l := range levels {
			if keys[i][j], err = l.key(x); err != nil {
				return nil, err
			}
		}
	}
	return sortByKeys(seq, keys, desc)
}

// sortByKeys is seq in the order of its keys (keys[i] for seq[i], compared
// level by level, desc[j] for a descending level), stable as .NET's
// OrderBy is.
func sortByKeys(seq []any, keys [][]any, desc []bool) ([]any, error) {
	idx := make([]int, len(seq))
	for i := range idx {
		idx[i] = i
	}
	var cerr error
	sort.SliceStable(idx, func(a, b int) bool {
		for j := range desc {
			c, err := compareKeys(keys[idx[a]][j], keys[idx[b]][j])
			if err != nil {
				cerr = err
			}
			if c != 0 {
				return c < 0 != desc[j]
			}
		}
		return false
	})
	if cerr != nil {
		return nil, cerr
	}
	out := make([]any, len(seq))
	for i, j := range idx {
		out[i] = seq[j]
	}
	return out, nil
}

// maxSizedArray bounds new T[n], as Enumerable.Range's count is bounded.
const maxSizedArray = 100000

// sizedArray binds new T[n]: an array of n default values (null, 0,
// false, '\0'), byte[] included.
func (b *binder) sizedArray(n *NewExpr, t *Type, ok bool) (*Type, error) {
	if !ok {
		return nil, b.unknownType(n.Type)
	}
	st, err := b.expr(n.Args[0].X)
	if err != nil {
		return nil, err
	}
	if st.K != KInt {
		return nil, b.errf(n.Args[0].Off, "cannot implicitly convert type '%s' to 'int'", typeName(st))
	}
	key := "Array.sized"
	switch {
	case t.K == KBytes:
		key = "Array.sizedBytes"
	case t.K == KArray && t.Elem != nil && !t.Elem.Nullable && sizedValueKinds[t.Elem.K] != "":
		key = sizedValueKinds[t.Elem.K] // new DateTime[n]: DateTime.MinValue...
	case t.K == KArray && t.Elem != nil:
		switch zero := zeroOf(t.Elem); zero.(type) {
		case int:
			key = "Array.sizedInt"
		case float64:
			key = "Array.sizedDouble"
		case bool:
			key = "Array.sizedBool"
		case string:
			key = "Array.sizedChar"
		case Decimal:
			key = "Array.sizedDecimal"
		case nil:
		default:
			return nil, b.errf(n.Off, "new %s[n] is not supported: use new %s[] { ... }", typeName(t.Elem), typeName(t.Elem))
		}
	}
	n.ctor = byKey[key]
	return t, nil
}

// sizedValueKinds are the value types of new T[n] whose default is no
// number, bool, char or null: their arrays' keys.
var sizedValueKinds = map[Kind]string{KDateTime: "Array.sizedDateTime", KDateTimeOffset: "Array.sizedDateTimeOffset", KTimeSpan: "Array.sizedTimeSpan", KGuid: "Array.sizedGuid"}

func registerSizedArrays() {
	size := func(v any) (int, error) {
		n := toInt(v)
		if n < 0 {
			return 0, exc("OverflowException", "Arithmetic operation resulted in an overflow.")
		}
		if n > maxSizedArray {
			return 0, exc("InvalidOperationException", "An array of more than %d items is not made in a policy expression.", maxSizedArray)
		}
		return n, nil
	}
	zeros := map[string]any{"Array.sized": nil, "Array.sizedInt": 0, "Array.sizedDouble": 0.0, "Array.sizedBool": false, "Array.sizedChar": "\x00", "Array.sizedDecimal": Decimal{}}
	for k, key := range sizedValueKinds {
		zeros[key] = zeroOf(&Type{K: k})
	}
	for key, zero := range zeros {
		zero := zero
		reg(&builtin{key: key, params: ts(tInt), result: arrayOf(tObject), run: func(a []any) (any, error) {
			n, err := size(a[0])
			if err != nil {
				return nil, err
			}
			out := make([]any, n)
			for i := range out {
				out[i] = zero
			}
			return out, nil
		}})
	}
	reg(&builtin{key: "Array.sizedBytes", params: ts(tInt), result: tBytes, run: func(a []any) (any, error) {
		n, err := size(a[0])
		if err != nil {
			return nil, err
		}
		return make([]byte, n), nil
	}})
}

// errListIndex is List<T>'s indexer outside the list (an array's is an
// IndexOutOfRangeException).
var errListIndex = exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")

// listSet is l[i] = v on a List<T>: arraySet, with List<T>'s exception
// outside it.
var listSet = reg(&builtin{key: "List.set", run: func(a []any) (any, error) {
	if l, ok := a[0].([]any); ok {
		if i := toInt(a[1]); i < 0 || i >= len(l) {
			return nil, errListIndex
		}
	}
	return arraySet.run(a)
}})

// arraySet is a[i] = v on an array (byte[] included): .NET's
// IndexOutOfRangeException outside it.
var arraySet = reg(&builtin{key: "Array.set", run: func(a []any) (any, error) {
	i := toInt(a[1])
	switch x := a[0].(type) {
	case []any:
		if i < 0 || i >= len(x) {
			return nil, exc("IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		x[i] = a[2]
		return a[2], nil
	case []byte:
		if i < 0 || i >= len(x) {
			return nil, exc("IndexOutOfRangeException", "Index was outside the bounds of the array.")
		}
		x[i] = byte(toInt(a[2]))
		return a[2], nil
	case nil:
		return nil, errNull
	}
	return nil, castErr(a[0], "System.Array")
}})

// arrayAssign binds a[i] = v on an array: an int index, a value of the
// element's type, "=" only.
func (b *binder) arrayAssign(n *Assign, t *Index, xt *Type) (*Type, error) {
	elem, err := b.arrayElem(t, xt)
	if err != nil {
		return nil, err
	}
	vt, err := b.expr(n.X)
	if err != nil {
		return nil, err
	}
	if err := b.convertible(n.X, vt, elem); err != nil {
		return nil, err
	}
	t.T = elem
	n.T = elem
	return elem, nil
}

// arrayElem binds the index of a[i] as an assignment's target (an int)
// and gives the element's type.
func (b *binder) arrayElem(t *Index, xt *Type) (*Type, error) {
	it, err := b.expr(t.I)
	if err != nil {
		return nil, err
	}
	if it.K != KInt {
		return nil, b.errf(t.I.pos(), "cannot implicitly convert type '%s' to 'int'", typeName(it))
	}
	elem := tByte // byte[]: a byte is an int in 0..255 here
	if xt.K == KArray {
		elem = xt.Elem
	}
	t.kind = ixArray
	t.T = elem
	return elem, nil
}

// methodGroup turns a static method named as a LINQ argument
// (.Select(int.Parse)) into the lambda it stands for (x => int.Parse(x)).
func (b *binder) methodGroup(a *Arg) {
	m, ok := a.X.(*Member)
	if !ok {
		return
	}
	q, ok := m.X.(*Name)
	if !ok || b.sc.lookup(q.Name) != nil {
		return
	}
	st := staticFor(q.Name)
	if st == "" {
		st = q.Name
	}
	one := false
	for _, bi := range statics[st][m.Name] {
		one = one || len(bi.params) == 1
	}
	if !one {
		return
	}
	const param = "__methodGroupArg"
	a.X = &Lambda{node: node{Off: m.Off}, Params: []string{param},
		Body: &Call{node: node{Off: m.Off}, F: m, Args: []*Arg{{Off: m.Off, X: &Name{node: node{Off: m.Off}, Name: param}}}}}
}
