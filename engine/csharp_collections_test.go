package engine

import (
	"strings"
	"testing"
)

// Queue<T>, Stack<T>, KeyValuePair's constructor, GetEnumerator and
// System.Tuple, which APIM's "API Management policy expressions" lists
// among the .NET Framework types allowed. Each text runs lowered where it
// can be and inside a try block (the interpreter); both give .NET's
// results, in .NET's enumeration order.
func TestCSharpQueueStackTuple(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"queue: first in, first out", `var q = new Queue<int>(); q.Enqueue(1); q.Enqueue(2); q.Enqueue(3); var x = q.Dequeue(); return x + " " + q.Count + " " + string.Join(",", q) + " " + q.Peek();`, "1 2 2,3 2"},
		{"queue: Dequeue as a statement", `var q = new Queue<string>(new[] { "a", "b", "c" }); q.Dequeue(); q.Dequeue(); return string.Join(",", q.ToArray()) + q.Contains("c") + q.Contains("a");`, "cTrueFalse"},
		{"queue: foreach in order", `var q = new Queue<int>(); foreach (var x in new[] { 1, 2, 3 }) q.Enqueue(x); var n = 0; foreach (var y in q) n = n * 10 + y; return n;`, "123"},
		{"queue: LINQ", `var q = new Queue<int>(new List<int> { 5, 1, 4 }); return q.Where(x => x > 1).Select(x => x * 2).Sum() + " " + q.First() + " " + q.Last();`, "18 5 4"},
		{"queue: Clear", `var q = new Queue<int>(4); q.Enqueue(1); q.Clear(); return q.Count;`, "0"},
		{"queue: TryDequeue", `var q = new Queue<string>(new[] { "a", "b" }); string v; var ok = q.TryDequeue(out v); return ok + v + q.Count;`, "Truea1"},
		{"queue: TryDequeue on empty gives default", `var q = new Queue<string>(); string v; var ok = q.TryDequeue(out v); return ok + (v == null ? "null" : v);`, "Falsenull"},
		{"queue: TryPeek leaves it", `var q = new Queue<int>(new[] { 7 }); q.TryPeek(out var v); return v + " " + q.Count;`, "7 1"},
		{"stack: last in, first out", `var s = new Stack<int>(); s.Push(1); s.Push(2); s.Push(3); return s.Pop() + " " + string.Join(",", s) + " " + s.Peek() + " " + s.Count;`, "3 2,1 2 2"},
		{"stack: from a sequence, its last item on top", `var s = new Stack<string>(new[] { "a", "b", "c" }); return string.Join(",", s) + s.First() + string.Join("", s.ToArray());`, "c,b,accba"},
		{"stack: TryPop and TryPeek", `var s = new Stack<int>(); s.Push(4); int v; s.TryPop(out v); int w; var ok = s.TryPeek(out w); return v + " " + ok + " " + w;`, "4 False 0"},
		{"stack: as IEnumerable<T>", `var s = new Stack<int>(); s.Push(1); s.Push(2); IEnumerable<int> e = s; return e.First();`, "2"},
		{"KeyValuePair", `var p = new KeyValuePair<string, int>("a", 1); return p.Key + (p.Value + 1) + " " + p.ToString();`, "a2 [a, 1]"},
		{"KeyValuePair: an int for a double", `var p = new KeyValuePair<string, double>("a", 1); return p.Value / 2;`, "0.5"},
		{"KeyValuePair in a list", `var l = new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("k", "v") }; return l[0].Key + l[0].Value;`, "kv"},
		{"List enumerator", `var l = new List<int> { 1, 2 }; var e = l.GetEnumerator(); var s = ""; while (e.MoveNext()) s += e.Current; return s + e.Current;`, "120"},
		{"List enumerator: Current before MoveNext is default", `var l = new List<string> { "a" }; var e = l.GetEnumerator(); return e.Current == null;`, "true"},
		{"Dictionary enumerator", `var d = new Dictionary<string, int> { { "a", 1 }, { "b", 2 } }; var e = d.GetEnumerator(); e.MoveNext(); e.MoveNext(); return e.Current.Key + e.Current.Value;`, "b2"},
		{"IEnumerator<T> declared; Reset", `IEnumerator<char> e = "ab".GetEnumerator(); e.MoveNext(); e.MoveNext(); e.Reset(); e.MoveNext(); return e.Current;`, "a"},
		{"a queue's enumerator", `var q = new Queue<int>(new[] { 3, 4 }); var e = q.GetEnumerator(); e.MoveNext(); return e.Current;`, "3"},
		{"Tuple.Create and ToString", `var t = Tuple.Create(1, "a"); return t.ToString() + " " + t;`, "(1, a) (1, a)"},
		{"Tuple items", `var t = Tuple.Create(1, "a", 2.5, true, 'c', 6L, "seven"); return t.Item3 + 1 + t.Item7 + t.Item5 + t.Item4;`, "3.5sevencTrue"},
		{"new Tuple<T1, T2>", `var t = new Tuple<int, string>(1, "x"); Tuple<int, string> u = t; return u.Item2 + u.Item1;`, "x1"},
		{"Tuple.Equals compares items, == references", `var t = Tuple.Create(1, "a"); return t.Equals(Tuple.Create(1, "a")) + " " + (t == Tuple.Create(1, "a")) + " " + (t == t) + " " + t.Equals(Tuple.Create(2, "a"));`, "True False True False"},
		{"Tuple with a null item", `var t = new Tuple<string, int>(null, 1); return t.ToString();`, "(, 1)"},
		{"an empty queue's InvalidOperationException", `var q = new Queue<int>(); try { q.Dequeue(); return "no"; } catch (InvalidOperationException e) { return e.Message; }`, "Queue empty."},
		{"an empty stack's InvalidOperationException", `var s = new Stack<int>(); try { return s.Pop().ToString(); } catch (InvalidOperationException e) { return e.Message; }`, "Stack empty."},
		{"Tuple through object", `object o = Tuple.Create(1, "a"); return ((Tuple<int, string>)o).Item2;`, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	// .NET's exceptions
	for _, tc := range []struct{ src, want string }{
		{`@{ var q = new Queue<int>(); return q.Dequeue(); }`, "Queue empty."},
		{`@{ var q = new Queue<int>(); q.Dequeue(); return 1; }`, "Queue empty."},
		{`@{ var q = new Queue<int>(); return q.Peek(); }`, "Queue empty."},
		{`@{ var s = new Stack<int>(); return s.Peek(); }`, "Stack empty."},
		{`@{ var s = new Stack<int>(); s.Pop(); return 0; }`, "Stack empty."},
		{`@{ var s = new Stack<int>(-1); return 0; }`, "Non-negative number required."},
		{`@{ List<int> l = null; var q = new Queue<int>(l); return 0; }`, "Value cannot be null."},
		{`@{ var e = new int[] { 1 }.GetEnumerator(); return e.Current; }`, "Enumeration has not started. Call MoveNext."},
		{`@{ var e = new int[] { 1 }.GetEnumerator(); e.MoveNext(); e.MoveNext(); return e.Current; }`, "Enumeration already finished."},
		{`@{ var s = new Stack<int>(); var e = s.GetEnumerator(); return e.Current; }`, "Enumeration has not started."},
		{`@{ List<int> l = null; var e = l.GetEnumerator(); return 0; }`, "Object reference not set to an instance of an object."},
		{`@{ object o = "x"; return ((Tuple<int, string>)o).Item2; }`, "Unable to cast object of type 'System.String' to type 'System.Tuple`2'."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// load errors: what C# refuses
	for _, tc := range []struct{ src, want string }{
		{`@{ var q = new Queue<int> { 1 }; return 0; }`, "'Queue<int>' does not contain a definition for 'Add'"},
		{`@{ var q = new Queue<int>(); q.Add(1); return 0; }`, "'Queue<int>' does not contain a definition for 'Add'"},
		{`@{ var s = new Stack<int>(); s.Enqueue(1); return 0; }`, "'Stack<int>' does not contain a definition for 'Enqueue'"},
		{`@{ var q = new Queue<int>(); q.Push(1); return 0; }`, "'Queue<int>' does not contain a definition for 'Push'"},
		{`@{ var s = new Stack<int>(); s.Push("a"); return 0; }`, "cannot convert from 'string' to 'int'"},
		{`@{ var q = new Queue<int>(); return q[0]; }`, "cannot apply indexing with [] to an expression of type 'Queue<int>'"},
		{`@{ var q = new Queue<int>(); return q.Length; }`, "'Queue<int>' does not contain a definition for 'Length'"},
		{`@{ var q = new Queue<int>(); List<int> l = q; return 0; }`, "cannot implicitly convert type 'Queue<int>' to 'List<int>'"},
		{`@{ Queue<int> q = new List<int>(); return 0; }`, "cannot implicitly convert type 'List<int>' to 'Queue<int>'"},
		{`@{ Stack<int> s = new Queue<int>(); return 0; }`, "cannot implicitly convert type 'Queue<int>' to 'Stack<int>'"},
		{`@{ foreach (var q in new[] { new Queue<int>() }) { q.Enqueue(1); } return 0; }`, "changes the collection"},
		{`@{ foreach (var q in new[] { new Queue<int>() }) { int x; q.TryDequeue(out x); } return 0; }`, "changes the collection"},
		{`@{ var s = new Stack<int>(); string v; s.TryPop(out v); return 0; }`, "cannot convert from 'out string' to 'out int'"},
		{`@{ var s = new Stack<int>(); s.TryDequeue(out var v); return 0; }`, "'Stack<int>' does not contain a definition for 'TryDequeue'"},
		{`@(new KeyValuePair<string, int>("a", "b").Key)`, "cannot implicitly convert type 'string' to 'int'"},
		{`@(new KeyValuePair<string, int>("a").Key)`, "does not contain a constructor that takes 1 arguments"},
		{`@(new Tuple<int, string>(1, 2).Item2)`, "cannot implicitly convert type 'int' to 'string'"},
		{`@(Tuple.Create(1).Item2)`, "'Tuple<int>' does not contain a definition for 'Item2'"},
		{`@(Tuple.Create(1, 2, 3, 4, 5, 6, 7, 8))`, "no overload for method 'Create' takes 8 arguments"},
		{`@(Tuple.Create(null, 1))`, "cannot be inferred"},
		{`@{ Tuple<int, int> t = Tuple.Create(1, "a"); return 0; }`, "cannot implicitly convert type 'Tuple<int, string>' to 'Tuple<int, int>'"},
		{`@{ var e = new List<int>().GetEnumerator(); string s = e.Current; return s; }`, "cannot implicitly convert type 'int' to 'string'"},
		{`@{ var e = new List<int>().GetEnumerator(1); return 0; }`, "no overload for method 'GetEnumerator' takes 1 arguments"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
