package csharp

import (
	"math/bits"
	"strings"
)

// List<T>'s own members that APIM's table of allowed types lists (it
// allows System.Collections.Generic.List<T> with "All") beyond the
// ones sets.go, linq_more.go and builtins_more.go have, and Array's
// FindIndex, FindLastIndex and Resize:
//
//   - in other words, rewritten before binding (listRewrite), so they run
//     lowered as LINQ does: Find(p) is FirstOrDefault(p), FindLast(p)
//     LastOrDefault(p), Exists(p) Any(p), TrueForAll(p) All(p),
//     ConvertAll(f) Select(f).ToList();
//   - the rest on the interpreter (listCall): the mutators Insert,
//     InsertRange, RemoveAt, RemoveRange, Reverse() and Reverse(index,
//     count), Sort(comparison) and Sort(comparer); the queries FindIndex,
//     FindLastIndex, LastIndexOf, IndexOf(item, index), BinarySearch,
//     CopyTo, AsReadOnly; ForEach(action).
//
// A list is a value here (sets.go): a mutator changes a list held in a
// local the expression declares, as collMethod's do, and gives the local
// the changed list. Each follows .NET's List<T> source: the same checks in
// the same order, the same exception types and messages, and Sort's
// introspective sort, so a comparison that finds two items equal leaves
// them where .NET's leaves them.

// listCall is a call of one of those members, as bound.
type listCall struct {
	name   string
	mut    *local  // the local whose list a mutator changes
	recv   Expr    // the list (or, for Array.FindIndex..., the array)
	args   []Expr  // the arguments, the lambda among them
	params []*Type // each argument's type (nil: the lambda)
	lam    *Lambda
	cmp    bool // the last argument is a StringComparer (Sort, BinarySearch)
	elem   *Type
	resize bool // Array.Resize(ref a, n): recv is the local's name
}

var listMutators = map[string]bool{"Insert": true, "InsertRange": true, "RemoveAt": true, "RemoveRange": true, "Reverse": true, "Sort": true}

// listRewrite is a List<T> call in other words (LINQ's), or nil.
func listRewrite(n *Call, m *Member, xt *Type) *Call {
	if m.Cond || m.TypeArgs != nil || !isList(xt) || len(n.Args) != 1 || n.Args[0].Out || n.Args[0].Name != "" {
		return nil
	}
	call := func(x Expr, name string, args ...*Arg) *Call {
		return &Call{node: n.node, F: &Member{node: m.node, X: x, Name: name, NameOff: m.NameOff}, Args: args}
	}
	as := map[string]string{"Find": "FirstOrDefault", "FindLast": "LastOrDefault", "Exists": "Any", "TrueForAll": "All"}[m.Name]
	if as != "" {
		if _, ok := n.Args[0].X.(*Lambda); ok {
			return call(m.X, as, n.Args...)
		}
		return nil
	}
	if m.Name == "ConvertAll" {
		return call(call(m.X, "Select", n.Args...), "ToList")
	}
	return nil
}

// listMethod binds the members listCall runs (ok false: another call).
// xt is the receiver's type: a List<T>, or the static Array.
func (b *binder) listMethod(n *Call, m *Member, xt *Type) (t *Type, ok bool, err error) {
	if m.TypeArgs != nil {
		return nil, false, nil
	}
	lc := &listCall{name: m.Name, recv: m.X}
	args := n.Args
	var recvT *Type
	switch {
	case xt.K == KStatic && xt.Name == "Array":
		switch m.Name {
		case "FindIndex", "FindLastIndex", "ForEach", "LastIndexOf", "BinarySearch":
		case "Resize":
			return b.arrayResize(n, m)
		case "ConvertAll": // a.Select(f).ToArray()
			if len(args) != 2 || args[0].Out || args[0].Name != "" {
				return nil, false, nil
			}
			sel := &Call{node: n.node, F: &Member{node: m.node, X: args[0].X, Name: "Select", NameOff: m.NameOff}, Args: args[1:]}
			*n = Call{node: n.node, F: &Member{node: m.node, X: sel, Name: "ToArray", NameOff: m.NameOff}}
			t, err := b.call(n)
			return t, true, err
		default:
			return nil, false, nil
		}
		if len(args) < 2 {
			return nil, true, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", m.Name, len(args))
		}
		if args[0].Out || args[0].Name != "" {
			return nil, false, nil
		}
		at, err := b.expr(args[0].X)
		if err != nil {
			return nil, true, err
		}
		if !isArrayType(at) || at.K == KBytes {
			return nil, true, b.errf(args[0].X.pos(), "cannot convert from '%s' to 'T[]'", typeName(at))
		}
		lc.recv, args, recvT = args[0].X, args[1:], at
	case isList(xt):
		switch m.Name {
		case "Insert", "InsertRange", "RemoveAt", "RemoveRange", "FindIndex", "FindLastIndex", "LastIndexOf", "BinarySearch", "CopyTo", "AsReadOnly", "ForEach":
		case "Reverse", "Sort":
			if len(args) == 0 && m.Name == "Sort" {
				return nil, false, nil // sets.go's
			}
		case "IndexOf":
			if len(args) < 2 {
				return nil, false, nil // builtins_more.go's
			}
		default:
			return nil, false, nil
		}
		recvT = xt
	default:
		return nil, false, nil
	}
	member := typeName(recvT) + "." + m.Name
	if xt.K == KStatic {
		member = "Array." + m.Name
	}
	for _, a := range args {
		if a.Out || a.Name != "" {
			return nil, true, b.errf(a.Off, "'%s' takes its arguments by position", member)
		}
	}
	elem := recvT.Elem
	lc.elem = elem
	I := tInt
	seqT := arrayOf(elem)
	arrT := arrayOf(elem)
	var shapes [][]*Type // nil: the lambda
	var pred *Type
	cmpT := tStrCmp
	switch m.Name {
	case "Insert":
		shapes = [][]*Type{{I, elem}}
	case "InsertRange":
		shapes = [][]*Type{{I, seqT}}
	case "RemoveAt":
		shapes = [][]*Type{{I}}
	case "RemoveRange":
		shapes = [][]*Type{{I, I}}
	case "Reverse":
		shapes = [][]*Type{{}, {I, I}}
	case "Sort":
		shapes = [][]*Type{{pred}, {cmpT}}
	case "FindIndex", "FindLastIndex":
		shapes = [][]*Type{{pred}, {I, pred}, {I, I, pred}}
	case "LastIndexOf", "IndexOf":
		shapes = [][]*Type{{elem}, {elem, I}, {elem, I, I}}
	case "BinarySearch":
		shapes = [][]*Type{{elem}, {elem, cmpT}}
	case "CopyTo":
		shapes = [][]*Type{{arrT}, {arrT, I}, {I, arrT, I, I}}
	case "AsReadOnly":
		shapes = [][]*Type{{}}
	case "ForEach":
		shapes = [][]*Type{{pred}}
	}
	var shape []*Type
	for _, s := range shapes {
		if len(s) == len(args) && (shape == nil || len(s) > 0 && s[len(s)-1] == nil && isLambdaArg(args[len(args)-1])) {
			shape = s
		}
	}
	if shape == nil && (len(args) > 0 || m.Name != "Reverse") {
		return nil, true, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", m.Name, len(args))
	}
	if m.Name == "Sort" || m.Name == "BinarySearch" {
		if _, isLam := args[len(args)-1].X.(*Lambda); !isLam && (m.Name == "Sort" || len(args) == 2) {
			lc.cmp = true
			shape = []*Type{cmpT}
			if m.Name == "BinarySearch" {
				shape = []*Type{elem, cmpT}
			}
			if dt, err := b.expr(args[len(args)-1].X); err == nil && dt.K == KDefCmp && dt.Elem != nil && dt.Elem.Name == elem.Name {
				// Sort(Comparer<int>.Default): the default order, the comparer left out
				// when it is null at run time too (asComparer)
				shape = append(shape[:len(shape)-1:len(shape)-1], dt)
			} else if elem.K != KString {
				return nil, true, b.errf(m.NameOff, "tollgate's comparers are StringComparer's: %s of a %s takes no comparer here (Sort((a, b) => ...) sorts by a comparison)", m.Name, typeName(recvT))
			}
		}
	}
	for i, a := range args {
		p := shape[i]
		if p == nil {
			if err := b.listLambda(lc, a, m.Name, member, elem); err != nil {
				return nil, true, err
			}
			lc.args = append(lc.args, a.X)
			lc.params = append(lc.params, nil)
			continue
		}
		at, err := b.expr(a.X)
		if err != nil {
			return nil, true, err
		}
		switch {
		case p == seqT:
			if !seqOf(b, at, elem) {
				return nil, true, b.errf(a.X.pos(), "cannot convert from '%s' to 'IEnumerable<%s>' (the argument of %s)", typeName(at), elem.Name, member)
			}
		case p == arrT:
			if at.K != KNull && !(isArrayType(at) && at.K != KBytes && at.Elem != nil && at.Elem.Name == elem.Name) {
				return nil, true, b.errf(a.X.pos(), "cannot convert from '%s' to '%s'", typeName(at), typeName(arrT))
			}
		case p == cmpT:
			if at.K != KStrCmp && at.K != KNull && !(at.K == KDefCmp && at.Elem != nil && at.Elem.Name == elem.Name) {
				return nil, true, b.errf(a.X.pos(), "cannot convert from '%s' to 'IComparer<%s>'", typeName(at), elem.Name)
			}
		default:
			if b.convertible(a.X, at, p) != nil {
				if err := b.paramOK(a.X, at, p); err != nil {
					return nil, true, err
				}
			}
		}
		lc.args = append(lc.args, a.X)
		lc.params = append(lc.params, p)
	}
	if listMutators[m.Name] && xt.K != KStatic {
		l, err := b.mutableLocal(m, xt, " (var list = new List<T>())")
		if err != nil {
			return nil, true, err
		}
		lc.mut = l
	} else if _, err := b.expr(lc.recv); err != nil {
		return nil, true, err
	}
	n.list = lc
	b.needInterp(member)
	switch m.Name {
	case "FindIndex", "FindLastIndex", "LastIndexOf", "IndexOf", "BinarySearch":
		return tInt, true, nil
	case "AsReadOnly":
		t := arrayOf(elem)
		t.Name = "ReadOnlyCollection<" + elem.Name + ">"
		return t, true, nil
	}
	return tVoid, true, nil
}

// isReadOnlyList: AsReadOnly()'s ReadOnlyCollection<T>, which has no Add.
func isReadOnlyList(t *Type) bool {
	return t.K == KArray && strings.HasPrefix(t.Name, "ReadOnlyCollection<")
}

func isLambdaArg(a *Arg) bool {
	_, ok := a.X.(*Lambda)
	return ok
}

// listLambda binds the lambda argument of Sort (a Comparison<T>), of
// ForEach (an Action<T>) or a predicate (a Predicate<T>).
func (b *binder) listLambda(lc *listCall, a *Arg, name, member string, elem *Type) error {
	b.methodGroup(a)
	l, ok := a.X.(*Lambda)
	want, params, shape := tBool, []*Type{elem}, "x => ..., returning bool"
	switch name {
	case "Sort":
		want, params, shape = tInt, []*Type{elem, elem}, "(x, y) => ..., returning an int"
	case "ForEach":
		want, shape = nil, "x => ..."
	}
	if !ok || len(l.Params) != len(params) {
		return b.errf(a.Off, "the argument of %s must be a lambda (%s)", member, shape)
	}
	lc.lam = l
	if name == "ForEach" && l.Block != nil { // an Action's body returns nothing
		b.push()
		defer b.pop()
		l.locals = make([]*local, 1)
		pl, err := b.declare(l.Params[0], l.Off, elem)
		if err != nil {
			return err
		}
		pl.borrowed = true
		l.locals[0] = pl
		defer b.enter(body{inLambda: true, inVoid: true})()
		return b.block(l.Block)
	}
	lt, err := b.bindLambdaTo(l, want, params...)
	if err != nil {
		return err
	}
	if want != nil && (lt.K != want.K || lt.Nullable) {
		return b.errf(a.Off, "the argument of %s must be a lambda (%s), not one returning %s", member, shape, typeName(lt))
	}
	return nil
}

// arrayResize binds Array.Resize(ref a, newSize): a must be a local
// holding an array, which gets the resized copy.
func (b *binder) arrayResize(n *Call, m *Member) (*Type, bool, error) {
	if len(n.Args) != 2 {
		return nil, true, b.errf(m.NameOff, "no overload for method 'Resize' takes %d arguments", len(n.Args))
	}
	nm, isName := n.Args[0].X.(*Name)
	if !n.Args[0].Out || !isName || n.Args[0].OutVar != nil {
		return nil, true, b.errf(n.Args[0].Off, "Array.Resize takes the array by reference: Array.Resize(ref a, n), a a local variable")
	}
	l := b.sc.lookup(nm.Name)
	if l == nil {
		return nil, true, b.errf(nm.Off, "the name '%s' does not exist in the current context", nm.Name)
	}
	if !isArrayType(l.t) || l.t.K == KBytes {
		return nil, true, b.errf(nm.Off, "cannot convert from 'ref %s' to 'ref T[]'", typeName(l.t))
	}
	if l.konst {
		return nil, true, b.errf(nm.Off, "cannot pass '%s' by reference: it is a constant", nm.Name)
	}
	at, err := b.expr(n.Args[1].X)
	if err != nil {
		return nil, true, err
	}
	if err := b.paramOK(n.Args[1].X, at, tInt); err != nil {
		return nil, true, err
	}
	if _, err := b.expr(nm); err != nil {
		return nil, true, err
	}
	n.list = &listCall{name: "Resize", recv: nm, args: []Expr{n.Args[1].X}, params: []*Type{tInt}, mut: l, elem: l.t.Elem, resize: true}
	b.needInterp("Array.Resize")
	return tVoid, true, nil
}

// foreachGuard marks a foreach over a list, set, queue or stack held in
// a local whose body changes that collection (a mutator called on the
// local, or an assignment of a call on it, which Add and the statement
// forms of the mutators become): the interpreter checks after each turn
// that the local still holds the collection it began with, and throws
// .NET's "Collection was modified" when it does not, as .NET's
// enumerator does at its next MoveNext. Giving the local another
// collection (list = new List<T>()) does not count: .NET's foreach goes
// on over the old one.
func (b *binder) foreachGuard(s *Foreach) {
	nm, ok := s.In.(*Name)
	if !ok || nm.local == nil {
		return
	}
	l := nm.local
	if !isList(l.t) && !isSet(l.t) && !isQueue(l.t) && !isStack(l.t) {
		return
	}
	// l and the locals made from it or it from them (var k = l;), which
	// resolveAliases may make one
	same := map[*local]bool{l: true}
	for grew := true; grew; {
		grew = false
		for _, a := range b.aliases {
			if same[a[0]] != same[a[1]] {
				same[a[0]], same[a[1]], grew = true, true, true
			}
		}
	}
	onL := func(x Expr) bool {
		if c, ok := x.(*Call); ok {
			if m, ok := c.F.(*Member); ok {
				if r, ok := m.X.(*Name); ok && same[r.local] {
					return true
				}
			}
		}
		return false
	}
	changes := false
	walkStmt(s.Body, func(x Expr) {
		switch x := x.(type) {
		case *Assign:
			if t, ok := x.Target.(*Name); ok && same[t.local] && onL(x.X) {
				changes = true
			}
		case *Call:
			changes = changes || x.coll != nil && same[x.coll.mut] || x.list != nil && same[x.list.mut]
		}
	})
	if changes {
		s.guard = l
		b.needInterp("foreach that changes its own collection")
	}
}

var errCollModified = exc("InvalidOperationException", "Collection was modified; enumeration operation may not execute.")

// sameColl reports whether a collection local still holds the list it
// held: the same items in the same place (a list grown in place by
// frame.appendList keeps its place but not its length).
func sameColl(a, b any) bool {
	x, ok1 := a.([]any)
	y, ok2 := b.([]any)
	if !ok1 || !ok2 {
		return a == nil && b == nil
	}
	return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
}

// noteAlias notes var k = l; (or List<T> k = l;) where l is a local
// holding a list, set, queue or stack: in .NET both names refer to one
// collection. A k made from a borrowed collection (a parameter's, a
// foreach variable's...) is borrowed too: changing it is the load error
// changing its source is. Otherwise resolveAliases may give k l's slot.
func (b *binder) noteAlias(k *local, init Expr) {
	nm, ok := init.(*Name)
	if !ok || nm.local == nil || k.t.K != KArray {
		return
	}
	src := nm.local
	if !isList(src.t) && !isSet(src.t) && !isQueue(src.t) && !isStack(src.t) {
		return
	}
	if src.borrowed {
		k.borrowed = true
		return
	}
	b.aliases = append(b.aliases, [2]*local{k, src})
}

// resolveAliases gives each noted alias k its source's slot, so that a
// change made through either name is seen through the other, as .NET's
// two references to one List<T> see it — when that is what a shared slot
// means: neither local is given another collection after (an assignment
// that is not a mutator's own, list = list.Concat(...) for Add), and no
// local function (whose locals are saved and restored per call) is in
// the block. Then the block runs on the interpreter, which reads slots
// (the lowered program has one variable per name). Elsewhere the two
// names hold values, as before (docs: "A set or a list is a value").
func (b *binder) resolveAliases(root *Block) {
	if len(b.aliases) == 0 {
		return
	}
	real := map[*local]bool{} // locals given another collection
	changed := map[*local]bool{}
	hasFunc := false
	onSelf := func(l *local, x Expr) bool {
		if c, ok := x.(*Call); ok {
			if m, ok := c.F.(*Member); ok {
				if r, ok := m.X.(*Name); ok && r.local == l {
					return true
				}
			}
		}
		return false
	}
	walkStmt(root, func(x Expr) {
		switch x := x.(type) {
		case *Assign:
			if t, ok := x.Target.(*Name); ok && t.local != nil {
				if x.Op == "=" && onSelf(t.local, x.X) {
					changed[t.local] = true
				} else {
					real[t.local] = true
				}
			}
		case *Call:
			if x.coll != nil && x.coll.mut != nil {
				changed[x.coll.mut] = true
			}
			if x.list != nil && x.list.mut != nil {
				changed[x.list.mut] = true
			}
			for _, a := range x.Args {
				if nm, ok := a.X.(*Name); ok && a.Out && nm.local != nil {
					real[nm.local] = true
				}
				if a.outLoc != nil {
					real[a.outLoc] = true
				}
			}
		}
	})
	var hasLocalFunc func(s Stmt)
	hasLocalFunc = func(s Stmt) {
		switch s := s.(type) {
		case *LocalFunc:
			hasFunc = true
		case *Block:
			for _, x := range s.List {
				hasLocalFunc(x)
			}
		}
	}
	hasLocalFunc(root)
	if hasFunc {
		return
	}
	// the locals one collection goes through (var b = a; var c = b;),
	// each group under its first local, declared before the others
	parent := map[*local]*local{}
	find := func(l *local) *local {
		for parent[l] != nil {
			l = parent[l]
		}
		return l
	}
	for _, a := range b.aliases { // in declaration order
		k, src := a[0], a[1]
		if !real[k] && !real[src] {
			parent[k] = find(src)
		}
	}
	groupChanged := map[*local]bool{}
	for l := range changed {
		groupChanged[find(l)] = true
	}
	for _, a := range b.aliases {
		k := a[0]
		if r := find(k); r != k && groupChanged[r] {
			k.slot = r.slot
			b.needInterp("a list shared by two locals")
		}
	}
}

// storedThenChanged refuses a list (set, queue, stack) held in a local
// that is put in another collection (an item of a collection or array
// initializer, of Add, Insert, Enqueue, Push, an indexer's value) and
// changed after, in the text or in a loop around both: here a list is a
// value, so the collection would keep the list as it was, where .NET's
// holds the list itself and sees the change. A load error rather than
// another answer than .NET's. A JObject or JArray, which copies what it is
// given in .NET too, is not such a collection.
func (b *binder) storedThenChanged(root *Block) error {
	isColl := func(t *Type) bool { return isList(t) || isSet(t) || isQueue(t) || isStack(t) }
	collLocal := func(x Expr) *local {
		if nm, ok := x.(*Name); ok && nm.local != nil && !nm.local.borrowed && isColl(nm.local.t) {
			return nm.local
		}
		return nil
	}
	// an array is shared by the collections holding it, but a
	// dictionary's value is a copy here (a dictionary holds JSON values):
	// an array put in a dictionary is a stored one too
	arrayLocal := func(x Expr) *local {
		if nm, ok := x.(*Name); ok && nm.local != nil && !nm.local.borrowed && isArrayType(nm.local.t) {
			return nm.local
		}
		return nil
	}
	type site struct {
		l   *local
		off int
		// dict: a store into a dictionary, which keeps a copy of a list
		// or an array; elem: a change of an element (l[i] = v), which a
		// list or array holding the same one sees, a dictionary not
		dict, elem bool
	}
	// fresh: the local given another collection (l = new List<T>()),
	// after which a change is not one of the stored list
	scan := func(s Stmt) (stores, changes, fresh []site) {
		walkStmt(s, func(x Expr) {
			switch x := x.(type) {
			case *NewExpr:
				if t := x.typ(); t != nil && (t.K == KJArray || t.K == KJObject || t.K == KJToken) {
					return
				}
				for i, lst := range [][]Expr{x.Init, x.Vals, x.DictVals} {
					for _, it := range lst {
						if l := collLocal(it); l != nil {
							stores = append(stores, site{l: l, off: it.pos(), dict: i == 2})
						}
					}
				}
				for _, it := range x.DictVals {
					if l := arrayLocal(it); l != nil {
						stores = append(stores, site{l: l, off: it.pos(), dict: true})
					}
				}
			case *Assign:
				if ix, ok := x.Target.(*Index); ok {
					if ct := ix.X.typ(); ct != nil && ct.K != KJArray && ct.K != KJObject && ct.K != KJToken {
						if l := collLocal(x.X); l != nil {
							stores = append(stores, site{l: l, off: x.X.pos(), dict: ct.K == KDict})
						}
						if l := arrayLocal(x.X); l != nil && ct.K == KDict {
							stores = append(stores, site{l: l, off: x.X.pos(), dict: true})
						}
					}
					// l[i] = v, l[i] += v, a[i]++: a change of an element
					// of the list (or array) held in the local
					if l := collLocal(ix.X); l != nil {
						changes = append(changes, site{l: l, off: x.pos(), elem: true})
					} else if l := arrayLocal(ix.X); l != nil {
						changes = append(changes, site{l: l, off: x.pos(), elem: true})
					}
				}
				if t, ok := x.Target.(*Name); ok && t.local != nil && isColl(t.local.t) {
					self := false
					if c, ok := x.X.(*Call); ok && x.Op == "=" {
						if m, ok := c.F.(*Member); ok {
							if r, ok := m.X.(*Name); ok && r.local == t.local {
								self = true
							}
						}
					}
					if self {
						changes = append(changes, site{l: t.local, off: x.pos()})
					} else {
						fresh = append(fresh, site{l: t.local, off: x.pos()})
					}
				}
			case *Call:
				if x.coll != nil && x.coll.mut != nil {
					changes = append(changes, site{l: x.coll.mut, off: x.pos()})
				}
				if x.list != nil && x.list.mut != nil && !x.list.resize {
					changes = append(changes, site{l: x.list.mut, off: x.pos()})
				}
				if m, ok := x.F.(*Member); ok {
					switch m.Name {
					case "Add", "TryAdd", "Insert", "Enqueue", "Push":
						if rt := m.X.typ(); rt != nil && (rt.K == KDict || isColl(rt)) {
							for _, a := range x.Args {
								if l := collLocal(a.X); l != nil {
									stores = append(stores, site{l: l, off: a.X.pos(), dict: rt.K == KDict})
								}
								if l := arrayLocal(a.X); l != nil && rt.K == KDict {
									stores = append(stores, site{l: l, off: a.X.pos(), dict: true})
								}
							}
						}
					}
				}
			}
		})
		return stores, changes, fresh
	}
	// renewed reports whether l is given another collection between the
	// offsets from and to
	renewed := func(fresh []site, l *local, from, to int) bool {
		for _, f := range fresh {
			if f.l == l && f.off > from && f.off < to {
				return true
			}
		}
		return false
	}
	fail := func(st, ch site) error {
		if st.dict {
			return b.errf(ch.off, "'%s' is changed after it was put in a dictionary: here a dictionary keeps a copy of a %s, where .NET's holds the same one and would see the change; finish changing it before putting it there",
				st.l.name, typeName(st.l.t))
		}
		return b.errf(ch.off, "'%s' is changed after it was put in another collection: here a %s is a value, so that collection keeps it as it was, where .NET's would see the change; finish changing it before putting it there",
			st.l.name, typeName(st.l.t))
	}
	// conflict: an element change is seen by a list or array holding the
	// same one (they share its items), not by a dictionary's copy
	conflict := func(st, ch site) bool { return st.l == ch.l && (st.dict || !ch.elem) }
	stores, changes, fresh := scan(root)
	for _, st := range stores {
		for _, ch := range changes {
			if conflict(st, ch) && ch.off > st.off && !renewed(fresh, st.l, st.off, ch.off) {
				return fail(st, ch)
			}
		}
	}
	// in a loop, a change before the store runs again after it
	var loops func(s Stmt) error
	loops = func(s Stmt) error {
		var body Stmt
		switch s := s.(type) {
		case *Block:
			for _, x := range s.List {
				if err := loops(x); err != nil {
					return err
				}
			}
			return nil
		case *If:
			if err := loops(s.Then); err != nil {
				return err
			}
			if s.Else != nil {
				return loops(s.Else)
			}
			return nil
		case *Try:
			if err := loops(s.Body); err != nil {
				return err
			}
			for _, c := range s.Catches {
				if err := loops(c.Body); err != nil {
					return err
				}
			}
			if s.Finally != nil {
				return loops(s.Finally)
			}
			return nil
		case *Foreach:
			body = s.Body
		case *While:
			body = s.Body
		case *For:
			body = s.Body
		default:
			return nil
		}
		inner := map[*local]bool{} // declared in the loop: a new one each turn
		walkDecls(body, func(l *local) { inner[l] = true })
		st, ch, fr := scan(body)
		for _, x := range st {
			for _, y := range ch {
				// a turn that gives the local a new list before changing
				// and storing it stores a new list each turn
				if !conflict(x, y) || inner[x.l] || renewed(fr, x.l, -1, min(x.off, y.off)) {
					continue
				}
				// a change after the store with a new list between them
				// (outer.Add(cur); cur = new List<T>(); cur.Add(i);)
				if y.off > x.off && renewed(fr, x.l, x.off, y.off) {
					continue
				}
				// a change before the store, the store followed in its
				// own block by a new list (the turn's change is of the
				// new one: if (cur.Count == n) { outer.Add(cur); cur = new List<T>(); })
				if y.off < x.off && renewedAfterStore(body, x.l, x.off) {
					continue
				}
				return fail(x, y)
			}
		}
		return loops(body)
	}
	return loops(root)
}

// renewedAfterStore reports whether, in a block of s (not inside a
// nested loop's body, whose turns are its own), the statement holding the
// store of l at off is followed by a statement l = <another collection>;
// with no continue between them: every turn that stores the list gives l a
// new one before the loop comes back to a change.
func renewedAfterStore(s Stmt, l *local, off int) bool {
	holds := func(st Stmt) bool {
		found := false
		walkStmt(st, func(x Expr) {
			if nm, ok := x.(*Name); ok && nm.local == l && nm.pos() == off {
				found = true
			}
		})
		return found
	}
	renews := func(st Stmt) bool {
		es, ok := st.(*ExprStmt)
		if !ok {
			return false
		}
		a, ok := es.X.(*Assign)
		if !ok || a.Op != "=" {
			return false
		}
		t, ok := a.Target.(*Name)
		if !ok || t.local != l {
			return false
		}
		_, fresh := a.X.(*NewExpr)
		return fresh
	}
	var hasContinue func(st Stmt) bool
	hasContinue = func(st Stmt) bool {
		switch st := st.(type) {
		case *Continue:
			return true
		case *Block:
			for _, x := range st.List {
				if hasContinue(x) {
					return true
				}
			}
		case *If:
			return hasContinue(st.Then) || (st.Else != nil && hasContinue(st.Else))
		case *Try:
			if hasContinue(st.Body) || (st.Finally != nil && hasContinue(st.Finally)) {
				return true
			}
			for _, c := range st.Catches {
				if hasContinue(c.Body) {
					return true
				}
			}
		}
		return false // a nested loop's continue is its own
	}
	var visit func(st Stmt) bool
	visit = func(st Stmt) bool {
		switch st := st.(type) {
		case *Block:
			for i, x := range st.List {
				if !holds(x) {
					continue
				}
				if !hasContinue(x) {
					for _, y := range st.List[i+1:] {
						if renews(y) {
							return true
						}
						if hasContinue(y) {
							break
						}
					}
				}
				return visit(x)
			}
		case *If:
			return visit(st.Then) || (st.Else != nil && visit(st.Else))
		case *Try:
			if visit(st.Body) {
				return true
			}
			for _, c := range st.Catches {
				if visit(c.Body) {
					return true
				}
			}
		}
		return false
	}
	return visit(s)
}

// walkDecls calls f on every local declared by a statement in s.
func walkDecls(s Stmt, f func(*local)) {
	switch s := s.(type) {
	case *Block:
		for _, x := range s.List {
			walkDecls(x, f)
		}
	case *Decl:
		for _, l := range s.locs {
			f(l)
		}
	case *If:
		walkDecls(s.Then, f)
		if s.Else != nil {
			walkDecls(s.Else, f)
		}
	case *Foreach:
		walkDecls(s.Body, f)
	case *While:
		walkDecls(s.Body, f)
	case *For:
		for _, x := range s.Init {
			walkDecls(x, f)
		}
		walkDecls(s.Body, f)
	case *Try:
		walkDecls(s.Body, f)
		for _, c := range s.Catches {
			walkDecls(c.Body, f)
		}
		if s.Finally != nil {
			walkDecls(s.Finally, f)
		}
	}
}

// ---- running

func (f *frame) listCall(n *Call) (any, error) {
	lc := n.list
	var recv any
	var err error
	if lc.mut == nil || lc.resize {
		if recv, err = f.eval(lc.recv); err != nil {
			return nil, err
		}
		if m, ok := n.F.(*Member); ok && m.Cond && (recv == nil || isNilPtr(recv)) {
			return nil, nil
		}
	}
	args := make([]any, len(lc.args))
	for i, a := range lc.args {
		if lc.params[i] == nil {
			continue
		}
		if args[i], err = f.evalAs(a, lc.params[i]); err != nil {
			return nil, err
		}
	}
	if lc.mut != nil && !lc.resize {
		recv = f.vars[lc.mut.slot] // as it is once the arguments ran
	}
	if lc.resize {
		return f.resize(lc, recv, toInt(args[0]))
	}
	if recv == nil || isNilPtr(recv) {
		if lc.recv != nil && n.F.(*Member).X != lc.recv { // Array.FindIndex(null, p)
			return nil, argNull("array")
		}
		return nil, errNull
	}
	xs, err := items(recv)
	if err != nil {
		return nil, err
	}
	ints := func() []int {
		var out []int
		for i, p := range lc.params {
			if p != nil && p.K == KInt && (i > 0 || lc.name != "IndexOf" && lc.name != "LastIndexOf") { // not the item
				out = append(out, toInt(args[i]))
			}
		}
		return out
	}
	set := func(out []any) (any, error) {
		f.vars[lc.mut.slot] = out
		return nil, nil
	}
	switch lc.name {
	case "Insert":
		i := toInt(args[0])
		if i < 0 || i > len(xs) {
			return nil, exc("ArgumentOutOfRangeException", "Index must be within the bounds of the List. (Parameter 'index')")
		}
		if len(xs) >= MaxItems {
			return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
		}
		return set(spliceIn(xs, i, []any{args[1]}))
	case "InsertRange":
		if args[1] == nil || isNilPtr(args[1]) {
			return nil, argNull("collection")
		}
		more, err := items(args[1])
		if err != nil {
			return nil, err
		}
		i := toInt(args[0])
		if i < 0 || i > len(xs) {
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than or equal to the size of the collection. (Parameter 'index')")
		}
		if len(xs)+len(more) > MaxItems {
			return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
		}
		return set(spliceIn(xs, i, append([]any(nil), more...))) // more may be the list itself
	case "RemoveAt":
		i := toInt(args[0])
		if i < 0 || i >= len(xs) {
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")
		}
		return set(append(append([]any{}, xs[:i]...), xs[i+1:]...))
	case "RemoveRange", "Reverse":
		i, c := 0, len(xs)
		if len(args) == 2 {
			i, c = toInt(args[0]), toInt(args[1])
			if err := rangeCheck(len(xs), i, c); err != nil {
				return nil, err
			}
		}
		if lc.name == "RemoveRange" {
			return set(append(append([]any{}, xs[:i]...), xs[i+c:]...))
		}
		out := append([]any{}, xs...)
		for a, z := i, i+c-1; a < z; a, z = a+1, z-1 {
			out[a], out[z] = out[z], out[a]
		}
		return set(out)
	case "Sort":
		out := append([]any{}, xs...)
		var cmp func(a, b any) (int, error)
		if lc.cmp {
			c, ok := asComparer(args[0])
			if !ok { // null: the default comparer
				if err := sortItems(out); err != nil {
					return nil, err
				}
				return set(out)
			}
			cmp = func(a, b any) (int, error) { return strCompare(a, b, c), nil }
		} else {
			cmp = f.comparison(lc.lam)
		}
		if err := introSort(out, cmp); err != nil {
			if isExc(err, "InvalidOperationException") || isExc(err, "OutOfMemoryException") {
				return nil, err
			}
			return nil, exc("InvalidOperationException", "Failed to compare two elements in the array.")
		}
		return set(out)
	case "FindIndex", "FindLastIndex":
		return f.findIndex(lc, xs, ints())
	case "LastIndexOf", "IndexOf":
		return indexOfRange(lc.name, xs, args[0], ints())
	case "BinarySearch":
		cmp := compareNET
		if lc.cmp {
			if c, ok := asComparer(args[1]); ok {
				cmp = func(a, b any) (int, error) { return strCompare(a, b, c), nil }
			}
		}
		lo, hi := 0, len(xs)-1
		for lo <= hi {
			i := lo + (hi-lo)>>1
			c, err := nullCompare(xs[i], args[0], cmp)
			if err != nil {
				return nil, exc("InvalidOperationException", "Failed to compare two elements in the array.")
			}
			switch {
			case c == 0:
				return i, nil
			case c < 0:
				lo = i + 1
			default:
				hi = i - 1
			}
		}
		return ^lo, nil
	case "CopyTo":
		return nil, copyTo(xs, args)
	case "AsReadOnly":
		return append([]any{}, xs...), nil
	case "ForEach":
		return f.forEach(lc, recv, xs)
	}
	return nil, exc("NotSupportedException", "List.%s", lc.name)
}

// isExc reports whether err is a .NET exception of the type name.
func isExc(err error, name string) bool {
	e, ok := err.(*Exception)
	return ok && e.Type == name
}

// spliceIn is xs with more put before index i, as a new list.
func spliceIn(xs []any, i int, more []any) []any {
	out := make([]any, 0, len(xs)+len(more))
	out = append(out, xs[:i]...)
	out = append(out, more...)
	return append(out, xs[i:]...)
}

// rangeCheck is List<T>'s check of (index, count) against its size.
func rangeCheck(size, i, c int) error {
	switch {
	case i < 0:
		return exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'index')")
	case c < 0:
		return exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
	case size-i < c:
		return exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
	}
	return nil
}

// nullCompare is Comparer<T>.Default's Compare: null before any value.
func nullCompare(a, b any, cmp func(a, b any) (int, error)) (int, error) {
	switch {
	case a == nil && b == nil:
		return 0, nil
	case a == nil:
		return -1, nil
	case b == nil:
		return 1, nil
	}
	return cmp(a, b)
}

// comparison runs a Comparison<T> lambda (x, y) => int.
func (f *frame) comparison(l *Lambda) func(a, b any) (int, error) {
	return func(a, b any) (int, error) {
		if err := f.step(); err != nil {
			return 0, err
		}
		f.vars[l.locals[0].slot], f.vars[l.locals[1].slot] = a, b
		v, err := f.run(l)
		if err != nil {
			return 0, err
		}
		return toInt(v), nil
	}
}

// findIndex is FindIndex and FindLastIndex, with List<T>'s (and
// Array's) checks of startIndex and count.
func (f *frame) findIndex(lc *listCall, xs []any, ints []int) (any, error) {
	match := f.lambda(lc.lam)
	size := len(xs)
	test := func(i int) (bool, error) {
		v, err := match(xs[i])
		return v == true, err
	}
	if lc.name == "FindIndex" {
		start, count := 0, size
		if len(ints) > 0 {
			start, count = ints[0], size-ints[0]
		}
		if len(ints) > 1 {
			count = ints[1]
		}
		if start < 0 || start > size {
			return nil, argRange("startIndex", msgIndexLessOrEqual)
		}
		if count < 0 || start > size-count {
			return nil, argRange("count", msgCountInString)
		}
		for i := start; i < start+count; i++ {
			ok, err := test(i)
			if err != nil {
				return nil, err
			}
			if ok {
				return i, nil
			}
		}
		return -1, nil
	}
	start, count := size-1, size
	if len(ints) > 0 {
		start, count = ints[0], ints[0]+1
	}
	if len(ints) > 1 {
		count = ints[1]
	}
	if size == 0 {
		if start != -1 {
			return nil, argRange("startIndex", msgIndexLess)
		}
	} else if start < 0 || start >= size {
		return nil, argRange("startIndex", msgIndexLess)
	}
	if count < 0 || start-count+1 < 0 {
		return nil, argRange("count", msgCountInString)
	}
	for i := start; i > start-count; i-- {
		ok, err := test(i)
		if err != nil {
			return nil, err
		}
		if ok {
			return i, nil
		}
	}
	return -1, nil
}

// indexOfRange is IndexOf(item, index[, count]) and LastIndexOf(item[,
// index[, count]]), by .NET's default equality.
func indexOfRange(name string, xs []any, item any, ints []int) (any, error) {
	size := len(xs)
	if name == "IndexOf" {
		i, c := ints[0], 0
		if i < 0 || i > size {
			return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than or equal to the size of the collection. (Parameter 'index')")
		}
		c = size - i
		if len(ints) > 1 {
			c = ints[1]
			if c < 0 || i > size-c {
				return nil, exc("ArgumentOutOfRangeException", "Count must be positive and count must refer to a location within the string/array/collection. (Parameter 'count')")
			}
		}
		for k := i; k < i+c; k++ {
			if equalNET(xs[k], item) {
				return k, nil
			}
		}
		return -1, nil
	}
	if size == 0 {
		return -1, nil
	}
	i, c := size-1, size
	if len(ints) > 0 {
		i, c = ints[0], ints[0]+1
	}
	if len(ints) > 1 {
		c = ints[1]
	}
	if i < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'index')")
	}
	if c < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'count')")
	}
	if i >= size {
		return nil, exc("ArgumentOutOfRangeException", "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')")
	}
	if c > i+1 {
		return nil, exc("ArgumentOutOfRangeException", "Count must be positive and count must refer to a location within the string/array/collection. (Parameter 'count')")
	}
	for k := i; k > i-c; k-- {
		if equalNET(xs[k], item) {
			return k, nil
		}
	}
	return -1, nil
}

// copyTo is CopyTo(array), CopyTo(array, arrayIndex) and CopyTo(index,
// array, arrayIndex, count): Array.Copy's checks, into the array in place.
func copyTo(xs []any, args []any) error {
	index, dst, at, count := 0, args[0], 0, len(xs)
	switch len(args) {
	case 2:
		at = toInt(args[1])
	case 4:
		index, dst, at, count = toInt(args[0]), args[1], toInt(args[2]), toInt(args[3])
		if len(xs)-index < count {
			return exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
		}
	}
	if dst == nil || isNilPtr(dst) {
		return argNull("destinationArray")
	}
	d, ok := dst.([]any)
	if !ok {
		return castErr(dst, "System.Array")
	}
	switch {
	case count < 0:
		return exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'length')")
	case index < 0:
		return exc("ArgumentOutOfRangeException", "Number was less than the array's lower bound in the first dimension. (Parameter 'sourceIndex')")
	case at < 0:
		return exc("ArgumentOutOfRangeException", "Number was less than the array's lower bound in the first dimension. (Parameter 'destinationIndex')")
	case len(d)-at < count:
		return exc("ArgumentException", "Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')")
	}
	copy(d[at:at+count], xs[index:index+count])
	return nil
}

// forEach runs ForEach(action) on each item; an action that changes the
// list throws .NET's InvalidOperationException at the next item.
func (f *frame) forEach(lc *listCall, recv any, xs []any) (any, error) {
	l := lc.lam
	var slot = -1
	if nm, ok := lc.recv.(*Name); ok && nm.local != nil {
		slot = nm.local.slot
	}
	same := func() bool {
		if slot < 0 {
			return true
		}
		now, ok := f.vars[slot].([]any)
		return ok && len(now) == len(xs) && (len(xs) == 0 || &now[0] == &xs[0])
	}
	for _, x := range xs {
		if !same() {
			return nil, exc("InvalidOperationException", "Collection was modified; enumeration operation may not execute.")
		}
		if err := f.step(); err != nil {
			return nil, err
		}
		f.vars[l.locals[0].slot] = x
		if l.Block != nil {
			if _, _, err := f.exec(l.Block); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := f.eval(l.Body); err != nil {
			return nil, err
		}
	}
	if !same() {
		return nil, exc("InvalidOperationException", "Collection was modified; enumeration operation may not execute.")
	}
	return nil, nil
}

// resize is Array.Resize(ref a, n): a new array of n items, a's first
// ones copied, the rest default(T); a null a becomes a new array.
func (f *frame) resize(lc *listCall, recv any, size int) (any, error) {
	if size < 0 {
		return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'newSize')")
	}
	if size > MaxItems {
		return nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
	}
	var xs []any
	if recv != nil && !isNilPtr(recv) {
		it, ok := recv.([]any)
		if !ok {
			return nil, castErr(recv, "System.Array")
		}
		if len(it) == size {
			return nil, nil // .NET keeps the same array
		}
		xs = it
	}
	out := make([]any, size)
	n := copy(out, xs)
	for i := n; i < size; i++ {
		out[i] = zeroOf(lc.elem)
	}
	f.vars[lc.mut.slot] = out
	return nil, nil
}

// introSort is .NET's ArraySortHelper<T>.IntrospectiveSort with a
// Comparison<T>: insertion sort for 16 items or fewer, else quicksort on
// a median of three, heapsort past 2·(log₂n+1) levels. It is not stable:
// items the comparison finds equal end where .NET's end.
func introSort(keys []any, cmp func(a, b any) (int, error)) error {
	if len(keys) < 2 {
		return nil
	}
	s := &sorter{keys: keys, cmp: cmp}
	s.intro(0, len(keys), 2*(bits.Len(uint(len(keys)))))
	return s.err
}

type sorter struct {
	keys []any
	cmp  func(a, b any) (int, error)
	err  error
}

func (s *sorter) less(a, b any) bool {
	if s.err != nil {
		return false
	}
	c, err := s.cmp(a, b)
	if err != nil {
		s.err = err
		return false
	}
	return c < 0
}

func (s *sorter) swapIfGreater(i, j int) {
	if s.err != nil {
		return
	}
	c, err := s.cmp(s.keys[i], s.keys[j])
	if err != nil {
		s.err = err
		return
	}
	if c > 0 {
		s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	}
}

// intro sorts keys[lo:hi].
func (s *sorter) intro(lo, hi, depth int) {
	for size := hi - lo; size > 1 && s.err == nil; size = hi - lo {
		if size <= 16 {
			switch size {
			case 2:
				s.swapIfGreater(lo, lo+1)
			case 3:
				s.swapIfGreater(lo, lo+1)
				s.swapIfGreater(lo, lo+2)
				s.swapIfGreater(lo+1, lo+2)
			default:
				s.insertion(lo, hi)
			}
			return
		}
		if depth == 0 {
			s.heap(lo, hi)
			return
		}
		depth--
		p := s.partition(lo, hi)
		s.intro(p+1, hi, depth)
		hi = p
	}
}

func (s *sorter) partition(lo, hi int) int {
	k := s.keys
	last := hi - 1 - lo // the span's hi
	mid := lo + last>>1
	s.swapIfGreater(lo, mid)
	s.swapIfGreater(lo, hi-1)
	s.swapIfGreater(mid, hi-1)
	pivot := k[mid]
	k[mid], k[hi-2] = k[hi-2], k[mid]
	left, right := lo, hi-2
	for left < right && s.err == nil {
		for left < hi-2 {
			left++
			if !s.less(k[left], pivot) {
				break
			}
		}
		for right > lo {
			right--
			if !s.less(pivot, k[right]) {
				break
			}
		}
		if left >= right {
			break
		}
		k[left], k[right] = k[right], k[left]
	}
	if left != hi-2 {
		k[left], k[hi-2] = k[hi-2], k[left]
	}
	return left
}

func (s *sorter) insertion(lo, hi int) {
	k := s.keys
	for i := lo; i < hi-1; i++ {
		t := k[i+1]
		j := i
		for j >= lo && s.less(t, k[j]) {
			k[j+1] = k[j]
			j--
		}
		k[j+1] = t
	}
}

func (s *sorter) heap(lo, hi int) {
	n := hi - lo
	for i := n >> 1; i >= 1; i-- {
		s.down(lo, i, n)
	}
	for i := n; i > 1; i-- {
		s.keys[lo], s.keys[lo+i-1] = s.keys[lo+i-1], s.keys[lo]
		s.down(lo, 1, i-1)
	}
}

func (s *sorter) down(lo, i, n int) {
	k := s.keys
	d := k[lo+i-1]
	for i <= n>>1 {
		child := 2 * i
		if child < n && s.less(k[lo+child-1], k[lo+child]) {
			child++
		}
		if !s.less(d, k[lo+child-1]) {
			break
		}
		k[lo+i-1] = k[lo+child-1]
		i = child
	}
	k[lo+i-1] = d
}
