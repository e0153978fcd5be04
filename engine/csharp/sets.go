package csharp

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A HashSet<T>'s own methods, and List<T>'s Remove, Clear, RemoveAll and AddRange, with .NET's
// semantics under the set's comparer (comparer.go):
//
//   - mutators: Add(x) and Remove(x) (bool: whether the set changed),
//     UnionWith, IntersectWith, ExceptWith, SymmetricExceptWith (void),
//     RemoveWhere(predicate) (the int count removed), Clear();
//   - queries: IsSubsetOf, IsSupersetOf, IsProperSubsetOf,
//     IsProperSupersetOf, Overlaps, SetEquals (bool), each against any
//     sequence, whose items are compared with this set's comparer.
//
// A collection is a list ([]any) at run time and a value: a mutator on a
// local assigns the local the changed list (never changing the old one in
// place, which other values may share). As a statement it is rewritten
// into that assignment (s = the changed set), which lowers to expr; used
// as a value (if (seen.Add(x))), the interpreter runs it, storing the
// changed list and giving the method's result. Only a local the
// expression declares can change: a parameter's, a lambda's, a foreach,
// out or pattern (is T x) variable's collection is shared with its source
// in .NET, which a value cannot model, so changing one is a load error
// (local.borrowed). A List's Add as a statement stays listAdd's Concat.
//
// Order: a set enumerates in the order its items were added, as .NET's
// HashSet does until something is removed; an item removed leaves no
// place behind (.NET's may put a later-added item in the removed one's
// slot). Within that model each method follows .NET's algorithm:
// SymmetricExceptWith of a sequence keeps this set's items that are not in
// it, then adds the sequence's items that were not in the set, in order.

// collOp is one of those methods.
type collOp struct {
	name     string
	arg      byte  // 0: none, 'e': an element, 's': a sequence, 'p': a predicate
	result   *Type // the method's type
	mutates  bool
	list     bool // List<T> has it too (List's Add is void)
	listOnly bool // List<T> has it, HashSet<T> does not (RemoveAll)
	queue    bool // Queue<T> has it (queues.go)
	stack    bool // Stack<T> has it
	query    *builtin
	changed  *builtin // gives the changed collection, for the statement form
}

var collOps = map[string]*collOp{}

func registerSets() {
	reg(&builtin{key: "List<byte>.ToArray", result: tBytes, run: func(a []any) (any, error) { return bytesFromItems(a[0]) }})
	for _, op := range []*collOp{
		{name: "Add", arg: 'e', result: tBool, mutates: true, list: true},
		{name: "Remove", arg: 'e', result: tBool, mutates: true, list: true},
		{name: "Clear", result: tVoid, mutates: true, list: true},
		{name: "UnionWith", arg: 's', result: tVoid, mutates: true},
		{name: "IntersectWith", arg: 's', result: tVoid, mutates: true},
		{name: "ExceptWith", arg: 's', result: tVoid, mutates: true},
		{name: "SymmetricExceptWith", arg: 's', result: tVoid, mutates: true},
		{name: "RemoveWhere", arg: 'p', result: tInt, mutates: true},
		{name: "RemoveAll", arg: 'p', result: tInt, mutates: true, list: true, listOnly: true},
		{name: "AddRange", arg: 's', result: tVoid, mutates: true, list: true, listOnly: true},
		{name: "Sort", result: tVoid, mutates: true, list: true, listOnly: true}, // List<T>.Sort(): by .NET's default comparer
		{name: "IsSubsetOf", arg: 's', result: tBool},
		{name: "IsSupersetOf", arg: 's', result: tBool},
		{name: "IsProperSubsetOf", arg: 's', result: tBool},
		{name: "IsProperSupersetOf", arg: 's', result: tBool},
		{name: "Overlaps", arg: 's', result: tBool},
		{name: "SetEquals", arg: 's', result: tBool},
	} {
		collOps[op.name] = op
		if op.arg == 'p' {
			continue // a lambda: the interpreter's
		}
		op.register("HashSet."+op.name, op.result)
	}
}

// register makes the op's builtin: for a mutating op, the changed
// collection (the statement form), else the answer, keyed queryKey.
// $csCall(key, collection, argument, comparer, set).
func (op *collOp) register(queryKey string, result *Type) {
	run := func(a []any) ([]any, any, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return nil, nil, errNull
		}
		coll, err := items(a[0])
		if err != nil {
			return nil, nil, err
		}
		return collRun(op.name, coll, a[1], a[2], a[3] == true)
	}
	if op.mutates {
		op.changed = reg(&builtin{key: "collection." + op.name + "=", result: tObjects, run: func(a []any) (any, error) {
			out, _, err := run(a)
			return out, err
		}})
		return
	}
	op.query = reg(&builtin{key: queryKey, result: result, run: func(a []any) (any, error) {
		_, res, err := run(a)
		return res, err
	}})
}

// collCall is a call of a collOp, as bound.
type collCall struct {
	op      *collOp
	set     bool   // a HashSet's (else a List's)
	mut     *local // the local whose collection a mutator changes
	changed bool   // the call's value is the changed collection (s = s.UnionWith(x), from a statement)
	self    bool   // RemoveWhere's predicate reads the set: it sees each removal as .NET's does
	elem    *Type  // the element type
}

// isList reports whether t is a List<T> (ToList() gives one too).
func isList(t *Type) bool {
	return t.K == KArray && strings.HasPrefix(t.Name, "List<")
}

// isReadOnlySet: IReadOnlySet<T> has the queries only.
func isReadOnlySet(t *Type) bool {
	return t.K == KArray && strings.HasPrefix(t.Name, "IReadOnlySet<")
}

// collStmt rewrites a mutator called as a statement on a local collection
// (s.UnionWith(x);) into the assignment of the changed collection
// (s = s.UnionWith=(x)), which lowers to expr. A list's Add is listAdd's
// (a Concat); RemoveWhere runs on the interpreter (its predicate may read
// the set).
func (b *binder) collStmt(s *ExprStmt) {
	c, ok := s.X.(*Call)
	if !ok {
		return
	}
	m, ok := c.F.(*Member)
	if !ok || m.Cond || m.TypeArgs != nil {
		return
	}
	op := collOps[m.Name]
	if op == nil || !op.mutates || op.arg == 'p' || op.arg == 0 && len(c.Args) != 0 { // Sort(comparison): list.go's
		return
	}
	nm, ok := m.X.(*Name)
	if !ok {
		return
	}
	l := b.sc.lookup(nm.Name)
	if l == nil || l.borrowed || !(isSet(l.t) && (op.list || !op.queue && !op.stack) || op.list && isList(l.t) && op.name != "Add" || op.queue && isQueue(l.t) || op.stack && isStack(l.t)) { // a list's Add: listAdd's
		return
	}
	c.coll = &collCall{changed: true}
	s.X = &Assign{node: node{Off: c.Off}, Op: "=", Target: &Name{node: node{Off: nm.Off}, Name: nm.Name}, X: c}
}

// collMethod binds a HashSet's or a List's own method (ok false: xt has
// no such method, so LINQ and the other members are tried).
func (b *binder) collMethod(n *Call, m *Member, xt *Type) (t *Type, ok bool, err error) {
	op := collOps[m.Name]
	set, list := isSet(xt), isList(xt)
	queue, stack := isQueue(xt), isStack(xt)
	if op == nil || m.TypeArgs != nil || !(set && !op.listOnly && (op.list || !op.queue && !op.stack) || list && op.list || isReadOnlySet(xt) && !op.mutates && !op.listOnly && !op.queue && !op.stack ||
		queue && op.queue || stack && op.stack) {
		return nil, false, nil
	}
	if m.Name == "Remove" && len(n.Args) == 0 {
		return nil, false, nil // IEnumerable<XNode>.Remove() (xml_linq.go)
	}
	cc := n.coll
	if cc == nil {
		cc = &collCall{}
	}
	cc.op, cc.set, cc.elem = op, set, xt.Elem
	if queue || stack {
		cc.set = queue // Peek's message: "Queue empty." or "Stack empty."
	}
	n.coll = nil
	member := xt.Name + "." + m.Name
	want := 1
	if op.arg == 0 {
		want = 0
	}
	if len(n.Args) != want {
		return nil, true, b.errf(m.NameOff, "no overload for method '%s' takes %d arguments", m.Name, len(n.Args))
	}
	for _, a := range n.Args {
		if a.Name != "" || a.Out {
			return nil, true, b.errf(a.Off, "'%s' takes its argument by position", member)
		}
	}
	if op.mutates {
		l, err := b.mutableLocal(m, xt, " (var s = new HashSet<T>())")
		if err != nil {
			return nil, true, err
		}
		cc.mut = l
	}
	switch op.arg {
	case 'e':
		at, err := b.expr(n.Args[0].X)
		if err != nil {
			return nil, true, err
		}
		if b.convertible(n.Args[0].X, at, xt.Elem) != nil { // an implicit conversion, as C#'s argument's
			if err := b.paramOK(n.Args[0].X, at, xt.Elem); err != nil {
				return nil, true, err
			}
		}
	case 's':
		at, err := b.expr(n.Args[0].X)
		if err != nil {
			return nil, true, err
		}
		if !seqOf(b, at, xt.Elem) {
			return nil, true, b.errf(n.Args[0].X.pos(), "cannot convert from '%s' to 'IEnumerable<%s>' (the argument of %s)", typeName(at), xt.Elem.Name, member)
		}
	case 'p':
		b.methodGroup(n.Args[0])
		l, isLambda := n.Args[0].X.(*Lambda)
		if !isLambda || len(l.Params) != 1 {
			return nil, true, b.errf(n.Args[0].Off, "the argument of %s must be a lambda returning bool (x => ...)", member)
		}
		lt, err := b.bindLambdaTo(l, tBool, xt.Elem)
		if err != nil {
			return nil, true, err
		}
		if lt.K != KBool || lt.Nullable {
			return nil, true, b.errf(n.Args[0].Off, "the argument of %s must be a lambda returning bool, not %s", member, typeName(lt))
		}
		walkExpr(l, func(x Expr) {
			switch x := x.(type) {
			case *Name:
				cc.self = cc.self || x.local == cc.mut
			case *Call:
				cc.self = cc.self || x.local != nil // a local function may read the set
			}
		})
	}
	n.cmp = nil
	if xt.SetCmp != "" && set {
		n.cmp = comparerMember(xt.SetCmp, m.NameOff)
		if _, err := b.expr(n.cmp); err != nil {
			return nil, true, err
		}
	}
	n.coll = cc
	switch {
	case cc.changed:
		return xt, true, nil // s = the changed s
	case op.mutates:
		b.needInterp(member) // the value of a call that changes a local
	}
	if !set && op.name == "Add" {
		return tVoid, true, nil
	}
	if op.result == tElem {
		return xt.Elem, true, nil
	}
	return op.result, true, nil
}

// seqOf reports whether a value of type t is an IEnumerable<elem> in C#:
// a sequence of elem, or of a reference type converting to it (variance);
// null too.
func seqOf(b *binder, t, elem *Type) bool {
	if t.K == KNull {
		return true
	}
	if t.K == KBytes {
		return elem.K == KInt && elem.IK == ikByte // a byte[] is an IEnumerable<byte> (List<byte>.AddRange(bytes))
	}
	switch t.K {
	case KArray, KGrouping, KJArray, KJToken, KString:
	case KGo:
		if t.Go.Kind() != reflect.Slice {
			return false
		}
	default:
		return false
	}
	et := b.seqElem(t)
	if et == nil {
		return false
	}
	if elem.K == KObject && !elem.Nullable {
		return isRefType(et)
	}
	if et.Name == elem.Name && et.K == elem.K && et.Nullable == elem.Nullable {
		return true
	}
	return isRefType(et) && isRefType(elem) && assignable(et, elem)
}

// isRefType: a class, not a value type (nor a Nullable<T>).
func isRefType(t *Type) bool {
	return !t.Nullable && t.isRef() && t.K != KKeyValue
}

// ---- running

// collCall runs a call of a collOp on the interpreter.
func (f *frame) collCall(n *Call) (any, error) {
	cc := n.coll
	m := n.F.(*Member)
	var recv any
	var err error
	if cc.mut == nil {
		if recv, err = f.eval(m.X); err != nil {
			return nil, err
		}
		if m.Cond && (recv == nil || isNilPtr(recv)) {
			return nil, nil // s?.IsSubsetOf(x)
		}
	}
	var arg any
	switch cc.op.arg {
	case 'e':
		arg, err = f.evalAs(n.Args[0].X, cc.elem)
	case 's':
		arg, err = f.eval(n.Args[0].X)
	}
	if err != nil {
		return nil, err
	}
	cmp, err := f.comparer(n)
	if err != nil {
		return nil, err
	}
	if cc.mut != nil {
		// the collection as it is once the arguments ran: .NET's method
		// changes the object the local refers to, after them
		recv = f.vars[cc.mut.slot]
	}
	if recv == nil || isNilPtr(recv) {
		return nil, errNull
	}
	coll, err := items(recv)
	if err != nil {
		return nil, err
	}
	if cc.op.name == "RemoveAll" {
		return f.removeAll(n, cc, coll)
	}
	if cc.op.arg == 'p' {
		return f.removeWhere(n, cc, coll, cmp)
	}
	out, res, err := collRun(cc.op.name, coll, arg, cmp, cc.set)
	if err != nil {
		return nil, err
	}
	switch {
	case cc.changed:
		return out, nil
	case cc.op.mutates:
		f.vars[cc.mut.slot] = out
	}
	return res, nil
}

// removeWhere is RemoveWhere(match): the predicate runs on each item in
// order, and each one it matches is removed; the count removed is the
// result. If the predicate throws, what it removed before stays removed,
// and a predicate reading the set sees the removals so far, as in .NET.
func (f *frame) removeWhere(n *Call, cc *collCall, coll []any, cmp any) (any, error) {
	l := n.Args[0].X.(*Lambda)
	match := f.lambda(l)
	kept := make([]any, 0, len(coll))
	removed := 0
	var err error
	for i, x := range coll {
		v, e := match(x)
		if e != nil {
			err = e
			kept = append(kept, coll[i:]...)
			break
		}
		if v == true {
			removed++
			if cc.self {
				f.vars[cc.mut.slot] = append(append([]any{}, kept...), coll[i+1:]...)
			}
			continue
		}
		kept = append(kept, x)
	}
	if removed > 0 || err != nil {
		f.vars[cc.mut.slot] = kept
	}
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// removeAll is List<T>.RemoveAll(match), by .NET's algorithm: the items
// are compacted in place as the predicate runs and the list keeps its
// length until the end, so a predicate that reads the list sees what
// .NET's sees, and one that throws leaves the list as .NET's leaves it
// (partly compacted, its length unchanged). The result is the count
// removed.
func (f *frame) removeAll(n *Call, cc *collCall, coll []any) (any, error) {
	match := f.lambda(n.Args[0].X.(*Lambda))
	items := append([]any(nil), coll...)
	size := len(items)
	test := func(i int) (bool, error) {
		if cc.self {
			f.vars[cc.mut.slot] = append([]any(nil), items...)
		}
		v, err := match(items[i])
		return v == true, err
	}
	fail := func(err error) (any, error) {
		f.vars[cc.mut.slot] = items
		return nil, err
	}
	free := 0
	for ; free < size; free++ {
		ok, err := test(free)
		if err != nil {
			return fail(err)
		}
		if ok {
			break
		}
	}
	if free >= size {
		f.vars[cc.mut.slot] = coll
		return 0, nil
	}
	for cur := free + 1; cur < size; {
		for cur < size {
			ok, err := test(cur)
			if err != nil {
				return fail(err)
			}
			if !ok {
				break
			}
			cur++
		}
		if cur < size {
			items[free] = items[cur]
			free++
			cur++
		}
	}
	f.vars[cc.mut.slot] = items[:free:free]
	return size - free, nil
}

// collRun runs a collOp but RemoveWhere on a collection (a set's items
// are distinct under eq), giving the collection after it (a new list,
// or coll itself when the method changes nothing) and the method's
// result.
func collRun(name string, coll []any, arg, cmp any, set bool) ([]any, any, error) {
	if out, res, ok, err := queueRun(name, coll, arg, set); ok { // queues.go
		return out, res, err
	}
	eq := eqFor(cmp)
	switch name {
	case "Add":
		if set && containsEq(coll, arg, eq) {
			return coll, false, nil
		}
		if len(coll) >= MaxItems {
			return nil, nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
		}
		return append(coll[:len(coll):len(coll)], arg), true, nil
	case "Remove": // the first equal item (a List's, by EqualityComparer<T>.Default)
		for i, y := range coll {
			if eq(arg, y) {
				return append(append(make([]any, 0, len(coll)-1), coll[:i]...), coll[i+1:]...), true, nil
			}
		}
		return coll, false, nil
	case "Clear":
		return []any{}, nil, nil
	case "Sort":
		out := append([]any(nil), coll...)
		if err := sortItems(out); err != nil {
			return nil, nil, err
		}
		return out, nil, nil
	}
	if arg == nil || isNilPtr(arg) {
		if name == "AddRange" {
			return nil, nil, argNull("collection")
		}
		return nil, nil, argNull("other")
	}
	other, err := items(arg)
	if err != nil {
		return nil, nil, err
	}
	switch name {
	case "AddRange": // List<T>.AddRange: every item of other, in order (other may be the list itself)
		if len(coll)+len(other) > MaxItems {
			return nil, nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
		}
		return append(coll[:len(coll):len(coll)], other...), nil, nil
	case "UnionWith": // AddIfNotPresent of each item of other, in order
		in := newLookup(cmp, eq, coll)
		out := coll[:len(coll):len(coll)]
		for _, x := range other {
			if !in.has(x) {
				if len(out) >= MaxItems {
					return nil, nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
				}
				in.add(x)
				out = append(out, x)
			}
		}
		return out, nil, nil
	case "IntersectWith", "ExceptWith": // this set's items that are (not) in other, in order
		in := newLookup(cmp, eq, other)
		out := []any{}
		for _, x := range coll {
			if in.has(x) == (name == "IntersectWith") {
				out = append(out, x)
			}
		}
		return out, nil, nil
	case "SymmetricExceptWith":
		// .NET adds other's items not in the set (marking them), marks the
		// set's items other holds, then removes the marked ones: the set's
		// items not in other, in order, then other's new items, in order
		// (each once).
		in, theirs := newLookup(cmp, eq, coll), newLookup(cmp, eq, other)
		out := []any{}
		for _, x := range coll {
			if !theirs.has(x) {
				out = append(out, x)
			}
		}
		for _, x := range other {
			if !in.has(x) {
				if len(out) >= MaxItems {
					return nil, nil, exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)
				}
				in.add(x)
				out = append(out, x)
			}
		}
		return out, nil, nil
	}
	// the queries: found is how many of this set's items other holds,
	// extra whether other has an item this set does not (under this set's
	// comparer), as .NET's CheckUniqueAndUnfoundElements counts them
	mine := newLookup(cmp, eq, coll)
	extra := false
	for _, x := range other {
		if !mine.has(x) {
			extra = true
			break
		}
	}
	theirs := newLookup(cmp, eq, other)
	found := 0
	for _, x := range coll {
		if theirs.has(x) {
			found++
		}
	}
	all := found == len(coll) // every item of this set is in other
	var res bool
	switch name {
	case "IsSubsetOf":
		res = all
	case "IsProperSubsetOf":
		res = all && extra
	case "IsSupersetOf":
		res = !extra
	case "IsProperSupersetOf":
		res = !extra && !all
	case "Overlaps":
		res = found > 0
	case "SetEquals":
		res = all && !extra
	}
	return coll, res, nil
}

// lookup tells whether a collection holds an item equal to x under eq:
// by a hash of the items while each has one that equal items share
// (strings, numbers, bools, dates, null), one by one otherwise.
type lookup struct {
	eq    func(a, b any) bool
	cmp   any
	items []any
	m     map[any][]any // nil: compare one by one
}

type nilKey struct{}

func newLookup(cmp any, eq func(a, b any) bool, xs []any) *lookup {
	l := &lookup{eq: eq, cmp: cmp, m: map[any][]any{}}
	for _, x := range xs {
		l.add(x)
	}
	return l
}

// dtoKey is a DateTimeOffset's hash key: its instant, apart from a
// DateTime's.
type dtoKey struct{ t time.Time }

// hashKey is a key equal items share (ok false: none known).
func (l *lookup) hashKey(x any) (any, bool) {
	if x == nil || isNilPtr(x) {
		return nilKey{}, true
	}
	if c, ok := asComparer(l.cmp); ok {
		if s, ok := x.(string); ok && (c == 4 || c == 5) { // ordinal: equal strings have equal keys
			return cmpKey(s, c), true
		}
		return nil, false // a culture comparer compares with collation: one by one
	}
	switch v := x.(type) {
	case string, bool, time.Duration:
		return v, true
	case time.Time: // equal DateTimes are equal ticks, whatever the kinds
		return v.UTC(), true
	case dateTimeOffset: // equal instants, whatever the offsets
		return dtoKey{v.t.UTC()}, true
	case int:
		return float64(v), true // equalNET: 1 == 1.0
	case uint64:
		return float64(v), true
	case float64:
		return v, true
	}
	return nil, false
}

func (l *lookup) add(x any) {
	l.items = append(l.items, x)
	if l.m == nil {
		return
	}
	k, ok := l.hashKey(x)
	if !ok {
		l.m = nil
		return
	}
	l.m[k] = append(l.m[k], x)
}

func (l *lookup) has(x any) bool {
	if l.m != nil {
		if k, ok := l.hashKey(x); ok {
			return containsEq(l.m[k], x, l.eq)
		}
	}
	return containsEq(l.items, x, l.eq)
}

// collCall lowers a query, or a mutator's statement form (s = the changed
// s), to $csCall(key, collection, argument, comparer, set).
func (lw *lowerer) collCall(n *Call, m *Member, en env) (string, error) {
	cc := n.coll
	bi := cc.op.query
	if cc.op.mutates {
		bi = cc.op.changed
		if !cc.changed || bi == nil {
			return "", cannot("%s used as a value", m.Name)
		}
	}
	arg, cmp := "nil", "nil"
	if len(n.Args) == 1 {
		a, err := lw.expr(n.Args[0].X, en)
		if err != nil {
			return "", err
		}
		if cc.op.arg == 'e' {
			switch at := n.Args[0].X.typ(); {
			case cc.elem.K == KDouble && at.K == KInt:
				a = "float(" + a + ")"
			case cc.elem.K == KJToken && at.K != KJToken && at.K != KJObject && at.K != KJArray && at.K != KNull,
				cc.elem.ik() == ikULong && at.ik() != ikULong:
				return "", cannot("%s of an element to convert", m.Name) // evalAs converts it
			}
		}
		arg = a
	}
	if n.cmp != nil {
		c, err := lw.expr(n.cmp, en)
		if err != nil {
			return "", err
		}
		cmp = c
	}
	x, err := lw.expr(m.X, en)
	if err != nil {
		return "", err
	}
	build := func(recv string) string {
		return lw.callBuiltin(bi, []string{recv, arg, cmp, strconv.FormatBool(cc.set)}, nil, 0)
	}
	if m.Cond {
		return lw.nullSafe(x, build), nil
	}
	return build(x), nil
}
