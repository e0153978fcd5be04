package csharp

import (
	"strings"
)

// System.Collections.Generic's Queue<T> and Stack<T>, KeyValuePair<TKey,
// TValue>'s constructor, IEnumerator<T> (GetEnumerator, MoveNext,
// Current) and System.Tuple, which APIM's policy expressions allow.
//
// A Queue<T> or a Stack<T> is a collection as a List<T> is (sets.go): a
// list ([]any) at run time, held in the order .NET enumerates it (a
// queue's oldest item first, a stack's top first), so that foreach, LINQ,
// ToArray and string.Join see .NET's order. Enqueue, Push, Dequeue, Pop
// and Clear change the local holding it, as a HashSet's Add does.

var (
	// tElem is the result of a member whose type is its receiver's
	// element type (Peek, Dequeue, an enumerator's Current).
	tElem       = &Type{K: KObject, Name: "T"}
	tEnumerator = &Type{K: KEnumerator, Name: "IEnumerator<object>", Elem: tObject}
	tTuple      = &Type{K: KTuple, Name: "Tuple"}
)

// isQueue and isStack report whether t is a Queue<T> or a Stack<T>.
func isQueue(t *Type) bool { return t.K == KArray && strings.HasPrefix(t.Name, "Queue<") }
func isStack(t *Type) bool { return t.K == KArray && strings.HasPrefix(t.Name, "Stack<") }

// queueAssignable: a Queue<T> or a Stack<T> converts to itself and to the
// interfaces it implements (IEnumerable<T>, IReadOnlyCollection<T>), and
// nothing else converts to one (ok false: neither is one).
func queueAssignable(from, to *Type) (yes, ok bool) {
	fq, tq := isQueue(from) || isStack(from), isQueue(to) || isStack(to)
	if !fq && !tq {
		return false, false
	}
	if tq {
		return fq && isQueue(from) == isQueue(to) && assignable(from.Elem, to.Elem), true
	}
	if strings.HasPrefix(to.Name, "IEnumerable<") || strings.HasPrefix(to.Name, "IReadOnlyCollection<") || to.Elem == nil {
		return to.Elem == nil || to.Elem.K == KObject || assignable(from.Elem, to.Elem), true
	}
	return false, true
}

// enumerator is an IEnumerator<T>: a snapshot of the collection's items
// when GetEnumerator was called, and a position (-1 before the first).
type enumerator struct {
	items []any
	i     int
	// strict: Current before MoveNext or after the end throws, as an
	// array's, a Queue's and a Stack's enumerator do; else it is the
	// element type's default, as a List's, a HashSet's and a Dictionary's.
	strict bool
	zero   any
}

func (e *enumerator) String() string { return "System.Collections.Generic.IEnumerator`1" }

// netTuple is a System.Tuple: a class whose Equals compares the items.
type netTuple struct{ items []any }

func (t *netTuple) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, x := range t.items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(catStr(x))
	}
	b.WriteByte(')')
	return b.String()
}

func (t *netTuple) equals(o any) bool {
	u, ok := o.(*netTuple)
	if !ok || len(u.items) != len(t.items) {
		return false
	}
	for i, x := range t.items {
		if x == nil || isNilPtr(x) {
			if !(u.items[i] == nil || isNilPtr(u.items[i])) {
				return false
			}
			continue
		}
		if tu, ok := x.(*netTuple); ok {
			if !tu.equals(u.items[i]) {
				return false
			}
			continue
		}
		if !equalNET(x, u.items[i]) {
			return false
		}
	}
	return true
}

// tupleOf is the type Tuple<T1, ...> of items of types ts.
func tupleOf(ts []*Type) *Type {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return &Type{K: KTuple, Name: "Tuple<" + strings.Join(names, ", ") + ">", FieldTs: ts}
}

var errQueueEmpty = exc("InvalidOperationException", "Queue empty.")
var errStackEmpty = exc("InvalidOperationException", "Stack empty.")

// queueOps are Queue<T>'s and Stack<T>'s own methods, run as sets.go runs
// a HashSet's (collRun calls queueRun for them).
var queueOps = []*collOp{
	{name: "Enqueue", arg: 'e', result: tVoid, mutates: true, queue: true},
	{name: "Dequeue", result: tElem, mutates: true, queue: true},
	{name: "Push", arg: 'e', result: tVoid, mutates: true, stack: true},
	{name: "Pop", result: tElem, mutates: true, stack: true},
	{name: "Peek", result: tElem, queue: true, stack: true},
}

// queueRun is one of queueOps on coll (ok false: not one of them).
func queueRun(name string, coll []any, arg any, queue bool) (out []any, res any, ok bool, err error) {
	switch name {
	case "Enqueue":
		if len(coll) >= MaxItems {
			return nil, nil, true, errTooMany
		}
		return append(coll[:len(coll):len(coll)], arg), nil, true, nil
	case "Push":
		if len(coll) >= MaxItems {
			return nil, nil, true, errTooMany
		}
		return append(append(make([]any, 0, len(coll)+1), arg), coll...), nil, true, nil
	case "Dequeue", "Pop", "Peek":
		if len(coll) == 0 {
			if name == "Dequeue" || name == "Peek" && queue {
				return nil, nil, true, errQueueEmpty
			}
			return nil, nil, true, errStackEmpty
		}
		if name == "Peek" {
			return coll, coll[0], true, nil
		}
		return coll[1:len(coll):len(coll)], coll[0], true, nil
	}
	return nil, nil, false, nil
}

var errTooMany = exc("OutOfMemoryException", "the expression built a list of more than %d items", MaxItems)

// bindTryQueue binds q.TryDequeue(out x), s.TryPop(out x) and TryPeek: the
// out variable's type, and the local whose collection changes.
func (b *binder) tryQueueType(m *Member, xt *Type) (*Type, bool) {
	switch {
	case m.Name == "TryDequeue" && isQueue(xt), m.Name == "TryPop" && isStack(xt), m.Name == "TryPeek" && (isQueue(xt) || isStack(xt)):
		return xt.Elem, true
	}
	return nil, false
}

// tryQueue runs TryDequeue, TryPop and TryPeek: the item and whether
// there was one; the local holding the collection changes.
func (f *frame) tryQueue(m *Member, recv any) (any, bool, error) {
	coll, err := items(recv)
	if err != nil {
		return nil, false, err
	}
	if len(coll) == 0 {
		return nil, false, nil
	}
	if m.Name != "TryPeek" {
		nm := m.X.(*Name)
		f.vars[nm.local.slot] = coll[1:len(coll):len(coll)]
	}
	return coll[0], true, nil
}

// genericNew binds new KeyValuePair<string, V>(key, value) and
// new Tuple<T1, ...>(items) (ok false: t is neither).
func (b *binder) genericNew(n *NewExpr, t *Type) (*Type, bool, error) {
	if t.K != KKeyValue && t.K != KTuple {
		return nil, false, nil
	}
	if len(n.Init) > 0 || n.Props != nil {
		return nil, true, b.errf(n.Off, "cannot initialize type '%s' with a collection initializer because it does not implement 'System.Collections.IEnumerable'", t.Name)
	}
	want := []*Type{tString, t.Elem}
	if t.K == KTuple {
		want = t.FieldTs
	}
	if len(n.Args) != len(want) {
		return nil, true, b.errf(n.Off, "'%s' does not contain a constructor that takes %d arguments", t.Name, len(n.Args))
	}
	at, err := b.args(n.Args)
	if err != nil {
		return nil, true, err
	}
	for i, a := range at {
		if err := b.convertible(n.Args[i].X, a, want[i]); err != nil {
			return nil, true, err
		}
	}
	if err := b.widenArgs(n.Args, at, want); err != nil {
		return nil, true, err
	}
	n.ctor = kvNew
	if t.K == KTuple {
		n.ctor = tupleNew
	}
	return t, true, nil
}

var kvNew, tupleNew, stackNew *builtin

// mutableLocal checks that a method changing a collection is called on a
// local the expression declared, and gives that local (collMethod's
// HashSet methods too; example shows how such a local is declared).
func (b *binder) mutableLocal(m *Member, xt *Type, example string) (*local, error) {
	member := xt.Name + "." + m.Name
	nm, isName := m.X.(*Name)
	var l *local
	if isName {
		l = b.sc.lookup(nm.Name)
	}
	switch {
	case m.Cond:
		return nil, b.errf(m.NameOff, "'%s' changes the collection: call it on a local variable, without ?.", member)
	case l == nil:
		return nil, b.errf(m.NameOff, "'%s' changes the collection: here only a collection held in a local variable can be changed", member)
	case l.borrowed:
		return nil, b.errf(m.NameOff, "'%s' changes the collection '%s' shares with where it came from (a parameter, a foreach, out or pattern variable): here only a collection the expression declares in a local variable%s can be changed", member, nm.Name, example)
	}
	return l, nil
}

// widenArgs converts each int argument given for a double parameter,
// writing the conversion C# makes implicitly as a cast.
func (b *binder) widenArgs(args []*Arg, at, want []*Type) error {
	for i, a := range args {
		if want[i].K == KDouble && at[i].K == KInt {
			a.X = &Cast{node: node{Off: a.X.pos()}, To: &TypeRef{Off: a.X.pos(), Name: "double"}, X: a.X}
			if _, err := b.expr(a.X); err != nil {
				return err
			}
		}
	}
	return nil
}

// tupleCreate binds Tuple.Create(a, b, ...): a Tuple of the arguments'
// types (ok false: not that call).
func (b *binder) tupleCreate(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if xt.K != KStatic || xt.Name != "Tuple" {
		return nil, false, nil
	}
	if m.Name != "Create" {
		return nil, true, b.errf(m.NameOff, "'Tuple' does not contain a definition for '%s' (or it is not allowed in policy expressions)", m.Name)
	}
	if len(n.Args) < 1 || len(n.Args) > 7 {
		return nil, true, b.errf(m.NameOff, "no overload for method 'Create' takes %d arguments (tollgate's Tuple has 1 to 7 items)", len(n.Args))
	}
	at, err := b.args(n.Args)
	if err != nil {
		return nil, true, err
	}
	for i, t := range at {
		switch t.K {
		case KNull, KVoid:
			return nil, true, b.errf(n.Args[i].Off, "the type arguments for method 'Tuple.Create' cannot be inferred from the usage (argument %d is %s)", i+1, typeName(t))
		}
	}
	n.method = tupleNew
	return tupleOf(at), true, nil
}

// tupleItem binds t.Item1 ... t.Item7.
func tupleItem(n *Member, xt *Type) (*Type, bool) {
	if xt.K != KTuple || !strings.HasPrefix(n.Name, "Item") || len(n.Name) != 5 {
		return nil, false
	}
	i := int(n.Name[4] - '1')
	if i < 0 || i >= len(xt.FieldTs) {
		return nil, false
	}
	n.prop = tupleItems[i]
	return xt.FieldTs[i], true
}

var tupleItems [7]*builtin

// enumeratorOf binds x.GetEnumerator() on a sequence (ok false: not that
// call, or x is not one).
func (b *binder) enumeratorOf(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	if m.Name != "GetEnumerator" || m.TypeArgs != nil {
		return nil, false, nil
	}
	et := b.seqElem(xt)
	if et == nil || xt.K == KObject {
		return nil, false, nil
	}
	if len(n.Args) != 0 {
		return nil, true, b.errf(m.NameOff, "no overload for method 'GetEnumerator' takes %d arguments", len(n.Args))
	}
	strict := xt.K == KBytes || isQueue(xt) || isStack(xt) || strings.HasSuffix(xt.Name, "[]")
	n.method = enumNew[strict]
	if xt.K == KBytes {
		et = tByte
	}
	// the element type's default, which a List's enumerator's Current
	// gives before MoveNext: an argument the binder writes
	zero := &Lit{node: node{Off: m.NameOff}}
	switch z := zeroOf(et).(type) {
	case int, float64, bool:
		zero.V = z
	case string:
		zero.V, zero.Kind = z, tkChar
	}
	n.Args = []*Arg{{Off: m.NameOff, X: zero}}
	if _, err := b.expr(zero); err != nil {
		return nil, true, err
	}
	return &Type{K: KEnumerator, Name: "IEnumerator<" + et.Name + ">", Elem: et}, true, nil
}

var enumNew = map[bool]*builtin{}

func registerQueues() {
	kindNames[KEnumerator], kindNames[KTuple] = "IEnumerator", "Tuple"
	statics["Tuple"] = table{} // Tuple.Create: tupleCreate binds it
	// new Stack<T>(collection) pushes the items in order: the last one is
	// the top
	stackNew = reg(&builtin{key: "Stack.new", result: tObjects, run: func(a []any) (any, error) {
		v, err := listNew.run(a)
		if err != nil {
			return nil, err
		}
		xs := v.([]any)
		for i, j := 0, len(xs)-1; i < j; i, j = i+1, j-1 {
			xs[i], xs[j] = xs[j], xs[i]
		}
		return xs, nil
	}})
	for _, op := range queueOps {
		collOps[op.name] = op
		op.register("Queue."+op.name, tObject)
	}
	collOps["Clear"].queue, collOps["Clear"].stack = true, true

	kvNew = reg(&builtin{key: "KeyValuePair.new", result: tObject, run: func(a []any) (any, error) {
		k, _ := a[0].(string) // a null key is allowed: KeyValuePair is a struct
		return &JProperty{Name: k, Value: a[1], nullKey: a[0] == nil}, nil
	}})
	// default(KeyValuePair<string, V>), which FirstOrDefault and the other
	// ...OrDefault operators give over a dictionary where nothing matched:
	// Key null, Value the argument (default(V))
	reg(&builtin{key: "KeyValuePair.default", result: tObject, run: func(a []any) (any, error) {
		return &JProperty{Value: a[0], nullKey: true}, nil
	}})
	tupleNew = reg(&builtin{key: "Tuple.new", result: tTuple, run: func(a []any) (any, error) {
		return &netTuple{items: append([]any(nil), a...)}, nil
	}})
	for i := range tupleItems {
		i := i
		tupleItems[i] = reg(&builtin{key: "Tuple.Item" + string(rune('1'+i)), result: tObject, run: func(a []any) (any, error) {
			t, ok := a[0].(*netTuple)
			if !ok || t == nil {
				return nil, errNull
			}
			return t.items[i], nil
		}})
	}
	method(KTuple, "ToString", ts(), tString, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KTuple, "Equals", ts(tObject), tBool, func(a []any) (any, error) {
		t, ok := a[0].(*netTuple)
		if !ok || t == nil {
			return nil, errNull
		}
		return t.equals(a[1]), nil
	}, nil)
	method(KBytes, "ToString", ts(), tString, func(a []any) (any, error) { return callToString(a[0]) }, nil) // System.Byte[]
	typedText = reg(&builtin{key: "collection.typedText", params: ts(tString), result: tString, run: func(a []any) (any, error) {
		if a[0] == nil || isNilPtr(a[0]) {
			return nil, errNull
		}
		return a[1], nil
	}})
	kvTexts = reg(&builtin{key: "KeyValuePair.texts", result: tStrings, run: func(a []any) (any, error) {
		xs, err := items(a[0])
		if err != nil {
			return nil, err
		}
		out := make([]any, len(xs))
		for i, x := range xs {
			if p, ok := x.(*JProperty); ok && p != nil {
				out[i] = "[" + p.Name + ", " + catStr(p.Value) + "]"
			}
		}
		return out, nil
	}})
	method(KKeyValue, "ToString", ts(), tString, func(a []any) (any, error) {
		p, ok := a[0].(*JProperty)
		if !ok || p == nil {
			return nil, errNull
		}
		return "[" + p.Name + ", " + catStr(p.Value) + "]", nil
	}, nil)

	for _, strict := range []bool{false, true} {
		strict := strict
		enumNew[strict] = reg(&builtin{key: "GetEnumerator/" + map[bool]string{false: "default", true: "strict"}[strict], params: ts(tObject), result: tEnumerator, run: func(a []any) (any, error) {
			if a[0] == nil || isNilPtr(a[0]) {
				return nil, errNull
			}
			xs, err := items(a[0])
			if err != nil {
				return nil, err
			}
			if b, ok := a[0].([]byte); ok {
				xs = make([]any, len(b))
				for i, c := range b {
					xs[i] = int(c)
				}
			}
			return &enumerator{items: append([]any(nil), xs...), i: -1, strict: strict, zero: a[1]}, nil
		}})
	}
	recv := func(v any) (*enumerator, error) {
		e, ok := v.(*enumerator)
		if !ok || e == nil {
			return nil, errNull
		}
		return e, nil
	}
	method(KEnumerator, "MoveNext", ts(), tBool, func(a []any) (any, error) {
		e, err := recv(a[0])
		if err != nil {
			return nil, err
		}
		if e.i < len(e.items) {
			e.i++
		}
		return e.i < len(e.items), nil
	}, nil)
	prop(KEnumerator, "Current", tElem, func(a []any) (any, error) {
		e, err := recv(a[0])
		if err != nil {
			return nil, err
		}
		switch {
		case e.i >= 0 && e.i < len(e.items):
			return e.items[e.i], nil
		case !e.strict:
			return e.zero, nil
		case e.i < 0:
			return nil, exc("InvalidOperationException", "Enumeration has not started. Call MoveNext.")
		}
		return nil, exc("InvalidOperationException", "Enumeration already finished.")
	}, nil)
	method(KEnumerator, "Reset", ts(), tVoid, func(a []any) (any, error) {
		e, err := recv(a[0])
		if err != nil {
			return nil, err
		}
		e.i = -1
		return nil, nil
	}, nil)
	method(KEnumerator, "Dispose", ts(), tVoid, func(a []any) (any, error) {
		_, err := recv(a[0])
		return nil, err
	}, nil)
}

// genericType is KeyValuePair<string, V>, Tuple<T1, ...> (one to seven
// items) or IEnumerator<T> of its type arguments (ok false: not one of
// them, or the wrong arguments).
func genericType(name string, args []*Type) (*Type, bool) {
	switch name {
	case "KeyValuePair":
		if len(args) != 2 || args[0].K != KString {
			return nil, false // a pair's key is a string here
		}
		return &Type{K: KKeyValue, Name: "KeyValuePair<string, " + args[1].Name + ">", Elem: args[1]}, true
	case "Tuple":
		if len(args) < 1 || len(args) > 7 {
			return nil, false
		}
		return tupleOf(args), true
	case "IEnumerator":
		if len(args) != 1 {
			return nil, false
		}
		return &Type{K: KEnumerator, Name: "IEnumerator<" + args[0].Name + ">", Elem: args[0]}, true
	}
	return nil, false
}

// refKind reports whether == on values of kind k compares references
// (classes whose == C# does not overload), not what expr's == compares.
func refKind(k Kind) bool {
	switch k {
	case KTuple, KEnumerator, KSym:
		return true
	}
	return false
}
