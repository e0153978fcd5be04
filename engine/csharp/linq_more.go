package csharp

// LINQ's Append, Prepend and AsEnumerable, Enumerable.Empty<T>() (arrays.go's
// arrayStatic), List<T>'s FindAll and GetRange (Sort is sets.go's) and
// Dictionary's ContainsValue, which APIM's table of allowed types lists.
// All but GetRange are other calls in other words, rewritten before binding:
//
//	xs.Append(x)         xs.Concat(new[] { x })
//	xs.Prepend(x)        new[] { x }.Concat(xs)
//	xs.AsEnumerable()    xs.Skip(0)
//	list.FindAll(p)      list.Where(p).ToList()
//	d.ContainsValue(v)   d.Values.Contains(v)

// linqSeqKind reports whether LINQ's Append, Prepend and AsEnumerable
// apply to a value of kind k (a StringBuilder's Append is its own).
func linqSeqKind(t *Type) bool {
	switch t.K {
	case KArray, KJArray, KBytes, KGrouping, KString:
		return true
	}
	return false
}

// linqMoreRewrite is the call n in other words, or nil.
func linqMoreRewrite(n *Call, m *Member, xt *Type) *Call {
	if m.Cond || m.TypeArgs != nil {
		return nil
	}
	for _, a := range n.Args {
		if a.Out || a.Name != "" {
			return nil
		}
	}
	call := func(x Expr, name string, args ...*Arg) *Call {
		return &Call{node: n.node, F: &Member{node: m.node, X: x, Name: name, NameOff: m.NameOff}, Args: args}
	}
	switch {
	case m.Name == "Append" && len(n.Args) == 1 && linqSeqKind(xt):
		one := &NewExpr{node: node{Off: n.Args[0].X.pos()}, Init: []Expr{n.Args[0].X}}
		return call(m.X, "Concat", &Arg{X: one, Off: n.Args[0].Off})
	case m.Name == "Prepend" && len(n.Args) == 1 && linqSeqKind(xt):
		one := &NewExpr{node: node{Off: n.Args[0].X.pos()}, Init: []Expr{n.Args[0].X}}
		return call(one, "Concat", &Arg{X: m.X, Off: m.X.pos()})
	case m.Name == "AsEnumerable" && len(n.Args) == 0 && linqSeqKind(xt):
		return call(m.X, "Skip", &Arg{X: &Lit{node: node{Off: m.NameOff}, V: 0, Kind: tkInt, IT: tInt}, Off: m.NameOff})
	case m.Name == "FindAll" && len(n.Args) == 1 && isList(xt):
		return call(call(m.X, "Where", n.Args...), "ToList")
	case m.Name == "ContainsValue" && len(n.Args) == 1 && xt.K == KDict:
		return call(&Member{node: m.node, X: m.X, Name: "Values", NameOff: m.NameOff}, "Contains", n.Args...)
	}
	return nil
}

// listGetRange is List<T>.GetRange(index, count): a new list of count
// items from index, with .NET's exceptions for a range outside the list.
func listGetRange(a []any) (any, error) {
	xs, ok := a[0].([]any)
	if !ok {
		return nil, errNull
	}
	i, c := toInt(a[1]), toInt(a[2])
	if i < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'index')")
	}
	if c < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
	}
	if len(xs)-i < c {
		return nil, exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
	}
	return append([]any(nil), xs[i:i+c]...), nil
}

func registerListMore() {
	method(KArray, "GetRange", ts(tInt, tInt), tObjects, listGetRange, nil)
}
