package engine

import (
	"strings"
	"testing"
)

// TestCSharpHashSetMethods: HashSet<T>'s own set methods, with .NET's
// results (the examples of "HashSet<T> Class" and of each method's page),
// under the set's comparer. Each block runs lowered where it can be and,
// inside a try block, on the interpreter: both give .NET's value. A set
// enumerates in insertion order, as .NET's does while nothing was removed
// before an add (after a removal .NET may reuse the removed item's slot;
// no case here adds after removing).
func TestCSharpHashSetMethods(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`var s = new HashSet<int> { 1, 2, 3 }; s.UnionWith(new[] { 3, 4, 5, 4 }); return string.Join(",", s);`, "1,2,3,4,5"},
		// IntersectWith and ExceptWith only remove: the rest keeps its order
		{`var s = new HashSet<int> { 1, 2, 3, 4 }; s.IntersectWith(new List<int> { 4, 2, 9 }); return string.Join(",", s);`, "2,4"},
		{`var s = new HashSet<int> { 1, 2, 3 }; s.ExceptWith(new[] { 2, 7 }); return string.Join(",", s) + "|" + s.Count;`, "1,3|2"},
		// SymmetricExceptWith of a sequence: .NET adds 4 and 5 (the second 4
		// is marked as added, so it stays), then removes 2
		{`var s = new HashSet<int> { 1, 2, 3 }; s.SymmetricExceptWith(new[] { 2, 4, 4, 5 }); return string.Join(",", s);`, "1,3,4,5"},
		{`var s = new HashSet<int> { 1, 2 }; s.SymmetricExceptWith(s); return s.Count;`, "0"},
		{`var s = new HashSet<int>(); s.SymmetricExceptWith(new[] { 2, 2, 1 }); return string.Join(",", s);`, "2,1"},
		{`var s = new HashSet<int> { 1, 2 }; s.UnionWith(s); s.IntersectWith(s); return string.Join(",", s);`, "1,2"},
		// the comparer: UnionWith adds no case variant of an item held (the
		// first one stays), and the queries compare other's items with it
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "Accept", "Host" }; s.UnionWith(new[] { "HOST", "x-id", "X-ID" }); return s.Count + ":" + string.Join(",", s);`, "3:Accept,Host,x-id"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "get", "POST" }; return s.IsSubsetOf(new[] { "GET", "Post", "PUT" }) + "|" + new HashSet<string> { "get", "POST" }.IsSubsetOf(new[] { "GET", "Post", "PUT" });`, "True|False"},
		{`var s = new HashSet<string>(new[] { "a", "B" }, StringComparer.OrdinalIgnoreCase); return s.SetEquals(new[] { "b", "A", "a" }) + "|" + s.Overlaps(new[] { "x", "b" }) + "|" + s.IsProperSupersetOf(new[] { "A" });`, "True|True|True"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b", "c" }; s.IntersectWith(new[] { "B", "C" }); s.ExceptWith(new[] { "c" }); return string.Join(",", s);`, "b"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b" }; s.SymmetricExceptWith(new[] { "B", "c", "C" }); return string.Join(",", s);`, "a,c"},
		{`var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase); allowed.UnionWith("GET,post".Split(',')); return allowed.Contains("POST") + "|" + allowed.IsSupersetOf(new[] { "get" });`, "True|True"},
		// the queries: other may hold duplicates, or be empty
		{`var s = new HashSet<int> { 1, 2 }; return s.IsSubsetOf(new[] { 2, 1 }) + "," + s.IsProperSubsetOf(new[] { 2, 1 }) + "," + s.IsProperSubsetOf(new[] { 1, 2, 3 }) + "," + s.IsSupersetOf(new int[0]) + "," + s.IsProperSupersetOf(new[] { 1, 1 }) + "," + s.IsProperSupersetOf(new[] { 1, 2 }) + "," + s.Overlaps(new[] { 5, 2 }) + "," + s.SetEquals(new[] { 2, 1, 2 });`,
			"True,False,True,True,True,False,True,True"},
		// the empty set is a subset of any set, a proper one of any but the
		// empty set, and overlaps none
		{`var e = new HashSet<string>(); return e.IsSubsetOf(new string[0]) + "," + e.IsProperSubsetOf(new string[0]) + "," + e.IsProperSubsetOf(new[] { "a" }) + "," + e.Overlaps(new[] { "a" }) + "," + e.SetEquals(new string[0]) + "," + e.IsProperSupersetOf(new string[0]);`,
			"True,False,True,False,True,False"},
		{`ISet<string> s = new HashSet<string> { "a" }; s.UnionWith(new List<string> { "b" }); return s.Count + "|" + s.IsSubsetOf(new[] { "a", "b" });`, "2|True"},
		{`var s = new HashSet<object> { "a" }; s.UnionWith(new[] { "b" }); return s.Count;`, "2"},
		{`var s = new HashSet<char>(); s.UnionWith("hello"); return string.Join("", s);`, "helo"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase); foreach (var h in new[] { "a", "A", "b" }) { s.Add(h); } return string.Join(",", s);`, "a,b"},
		// Remove and Clear
		{`var s = new HashSet<int> { 1, 2, 3 }; s.Remove(2); return string.Join(",", s) + "|" + s.Contains(2);`, "1,3|False"},
		{`var s = new HashSet<int> { 1, 2 }; s.Clear(); s.Add(3); return string.Join(",", s) + "|" + s.Count;`, "3|1"},
		{`var l = new List<int> { 1, 2 }; l.Clear(); l.Add(3); return string.Join(",", l);`, "3"},
		{`IReadOnlySet<string> r = new HashSet<string> { "a" }; return r.IsSubsetOf(new[] { "a", "b" }) + "|" + r.Overlaps(new List<string>());`, "True|False"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	// the queries are expressions, lowered to expr
	csBothPaths(t, `new HashSet<int> { 1, 2 }.IsProperSubsetOf(new[] { 2, 1, 3 }) + "|" + new HashSet<string>(new[] { "x" }, StringComparer.OrdinalIgnoreCase).Overlaps(((string)context.Variables["s"]).ToUpper().Split(','))`, "True|False", nil)
}

// TestCSharpMutatorsAsValues: the mutators .NET gives a bool (or a count)
// are values: HashSet's Add and Remove, List's Remove, Dictionary's Remove
// and TryAdd, HashSet's RemoveWhere. Used as a value, they run on the
// interpreter; as statements, they still lower.
func TestCSharpMutatorsAsValues(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`var seen = new HashSet<string>(); var firsts = new List<string>(); foreach (var h in new[] { "a", "b", "a", "c", "b" }) { if (seen.Add(h)) { firsts.Add(h); } } return string.Join(",", firsts) + "|" + seen.Count;`, "a,b,c|3"},
		{`var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase); var dupes = 0; foreach (var h in new[] { "Accept", "accept", "Host", "ACCEPT" }) { if (!seen.Add(h)) dupes++; } return dupes + ":" + string.Join(",", seen);`, "2:Accept,Host"},
		{`var s = new HashSet<int>(); var a = s.Add(1); var b = s.Add(1); return a + "|" + b + "|" + s.Count;`, "True|False|1"},
		{`var s = new HashSet<double>(); s.Add(1); return s.Add(1.0) + "|" + s.First() / 2;`, "False|0.5"},
		// a lambda may change a local set: Where runs it once per item, in order
		{`var seen = new HashSet<int>(); return string.Join(",", new[] { 3, 1, 3, 2, 1 }.Where(x => seen.Add(x)));`, "3,1,2"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "a", "b" }; var r = s.Remove("A"); return r + "|" + s.Remove("z") + "|" + string.Join(",", s);`, "True|False|b"},
		{`var s = new HashSet<int> { 1, 2, 3, 4, 5, 6 }; var n = s.RemoveWhere(x => x % 2 == 0); return n + ":" + string.Join(",", s);`, "3:1,3,5"},
		{`var s = new HashSet<int> { 1, 2, 3, 4, 5, 6 }; s.RemoveWhere(x => x > 2); return string.Join(",", s);`, "1,2"},
		// RemoveWhere's predicate sees the removals so far: 2 goes (1 is
		// there), 3 stays (2 is gone), 4 goes
		{`var s = new HashSet<int> { 1, 2, 3, 4 }; var n = s.RemoveWhere(x => s.Contains(x - 1)); return n + ":" + string.Join(",", s);`, "2:1,3"},
		{`var s = new HashSet<int> { 1, 2, 3, 4 }; bool Has(int x) => s.Contains(x); return s.RemoveWhere(x => Has(x - 1)) + ":" + string.Join(",", s);`, "2:1,3"},
		{`var s = new HashSet<JToken>(); s.Add(JObject.Parse("{}")); return s.Add(JObject.Parse("{}")) + "|" + s.Count;`, "True|2"},
		{`var l = new List<string> { "a", "b", "a" }; var r = l.Remove("a"); return r + "|" + l.Remove("z") + "|" + string.Join(",", l);`, "True|False|b,a"},
		{`var l = new List<int> { 3, 1, 3 }; l.Remove(3); return string.Join(",", l);`, "1,3"},
		// List<T>.RemoveAll, by .NET's algorithm
		{`var l = new List<int> { 1, 2, 3, 4, 5, 6 }; var n = l.RemoveAll(x => x % 2 == 0); return n + ":" + string.Join(",", l);`, "3:1,3,5"},
		{`var l = new List<string> { "a", "", "b", "" }; l.RemoveAll(x => x == ""); return string.Join(",", l) + "|" + l.Count;`, "a,b|2"},
		{`var l = new List<int> { 1, 2 }; return l.RemoveAll(x => x > 5) + ":" + string.Join(",", l);`, "0:1,2"},
		{`var l = new[] { "x", "y", "x" }.ToList(); l.RemoveAll(s => { var keep = s != "x"; return !keep; }); return string.Join(",", l);`, "y"},
		// the list is compacted in place as the predicate runs, its length
		// kept: reading it, the predicate still sees 2 and 3 (a HashSet's
		// RemoveWhere sees the removals: "2:1,3" above)
		{`var l = new List<int> { 1, 2, 3, 4 }; var n = l.RemoveAll(x => l.Contains(x - 1)); return n + ":" + string.Join(",", l);`, "3:1"},
		// a predicate that throws leaves the list as .NET's does: partly
		// compacted (3 moved over 2), its length unchanged
		{`var l = new List<int> { 1, 2, 3, 4, 5 }; try { l.RemoveAll(x => { if (x == 4) throw new Exception("x"); return x == 2; }); } catch (Exception) { } return string.Join(",", l);`, "1,3,3,4,5"},
		{`var l = new[] { "x", "y" }.ToList(); l.Remove("x"); l.Add("z"); return string.Join(",", l);`, "y,z"},
		{`var d = new Dictionary<string, int>(); var a = d.TryAdd("k", 1); var b = d.TryAdd("k", 2); return a + "|" + b + "|" + d["k"] + "|" + d.Remove("k") + "|" + d.Remove("k");`, "True|False|1|True|False"},
		{`var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); d.TryAdd("Host", "a"); if (d.TryAdd("HOST", "b")) { return "added"; } return (string)d["host"] + d.Count;`, "a1"},
		{`var counts = new Dictionary<string, int>(); foreach (var w in new[] { "a", "b", "a" }) { if (!counts.TryAdd(w, 1)) { counts[w] = (int)counts[w] + 1; } } return counts["a"] + "|" + counts["b"];`, "2|1"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	// a mutator used as a value runs on the interpreter; as a statement it lowers
	for src, interp := range map[string]bool{
		`@{ var s = new HashSet<int>(); var a = s.Add(1); return a; }`:                                true,
		`@{ var s = new HashSet<int> { 1 }; s.Remove(1); s.UnionWith(new[] { 2 }); return s.Count; }`: false,
		`@{ var l = new List<int> { 1 }; l.Remove(1); return l.Count; }`:                              false,
	} {
		_, _, ex := csRun(t, src, nil)
		if (ex.Interp != "") != interp {
			t.Errorf("%s: interpreted=%v (%q), want %v", src, ex.Interp != "", ex.Interp, interp)
		}
	}
	// RemoveWhere's predicate throws after removing 1: 1 stays removed, as in .NET
	csWant(t, `@{ var s = new HashSet<int> { 1, 2, 0, 3 }; try { s.RemoveWhere(x => 10 / x > 6); } catch (Exception) { } return string.Join(",", s); }`, "2,0,3", nil)
	for _, tc := range []struct{ src, msg string }{
		{`@{ var s = new HashSet<int>(); int[] n = null; s.UnionWith(n); return s.Count; }`, "Value cannot be null. (Parameter 'other')"},
		{`@{ var s = new HashSet<int>(); int[] n = null; return s.IsSubsetOf(n); }`, "Value cannot be null. (Parameter 'other')"},
		{`@{ HashSet<int> s = null; return s.Add(1); }`, "Object reference not set to an instance of an object."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpCheckedSum: Enumerable.Sum of ints and of longs is checked in
// .NET, even in an unchecked context: a partial sum past the type's range
// throws OverflowException. A selector of a narrower integral type picks
// Sum's int overload, of uint its long one. Average adds ints and longs in
// a long, checked, and divides as a double.
func TestCSharpCheckedSum(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`new[] { long.MaxValue - 1, 1L }.Sum()`, "9223372036854775807"},
		{`new[] { 1, 2 }.Sum(x => x * 3000000000L)`, "9000000000"},
		{`new[] { 1u, 4294967295u }.Sum(x => x)`, "4294967296"},
		{`new[] { (short)30000, (short)30000 }.Sum(x => x)`, "60000"},
		{`new[] { int.MaxValue, int.MinValue }.Sum()`, "-1"},
		{`new[] { int.MaxValue, int.MaxValue }.Average().ToString()`, "2147483647"},
		{`new[] { long.MaxValue, -1L }.Average().ToString()`, "4.611686018427388E+18"},
		{`new[] { 1, 2, 3 }.Select(x => x == 2 ? (int?)null : x).Sum()`, "4"},
		{`new[] { 1, 2, 3 }.Select(x => x == 2 ? (int?)null : x).Average()`, "2"},
		{`new[] { 1 }.Select(x => (long?)null).Average() ?? -1`, "-1"},
	} {
		csBothPaths(t, tc.text, tc.want, nil)
	}
	const ovf = "Arithmetic operation resulted in an overflow."
	for _, text := range []string{
		`new[] { 1L, long.MaxValue }.Sum()`,
		`unchecked(new[] { long.MaxValue, 1L }.Sum())`,
		// each partial sum is checked: the first overflows, though the whole fits
		`new[] { long.MaxValue, 1L, -1L }.Sum()`,
		`new[] { int.MaxValue, 1, -1 }.Sum()`,
		`new[] { "a", "bb" }.Sum(s => long.MaxValue - s.Length + 1)`,
		`new[] { long.MinValue, -1L }.Sum(x => x)`,
		`new long[] { long.MaxValue, 1 }.Average()`,
		`new[] { 1, 2 }.Average(x => long.MaxValue - x)`,
	} {
		for _, src := range []string{"@(" + text + ")", "@{ try { return " + text + "; } finally { } }"} {
			_, err, _ := csRun(t, src, nil)
			if err == nil || !strings.Contains(err.Error(), ovf) {
				t.Errorf("%s: %v, want OverflowException", src, err)
			}
		}
	}
}

// TestCSharpCollectionLoadErrors: what C# rejects, and what tollgate
// cannot run, is a load error naming the member.
func TestCSharpCollectionLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`@{ var s = new HashSet<int>(); s.UnionWith(new[] { "a" }); return s.Count; }`, "cannot convert from 'string[]' to 'IEnumerable<int>' (the argument of HashSet<int>.UnionWith)"},
		// no variance for value types: an IEnumerable<int> is not an IEnumerable<long>
		{`@{ var s = new HashSet<long>(); s.ExceptWith(new[] { 1, 2 }); return s.Count; }`, "cannot convert from 'int[]' to 'IEnumerable<long>'"},
		{`@{ var s = new HashSet<int>(); return s.IsSubsetOf(5); }`, "cannot convert from 'int' to 'IEnumerable<int>'"},
		{`@{ var s = new HashSet<int>(); return s.Add("x"); }`, "cannot convert from 'string' to 'int'"},
		{`@{ var l = new List<string>(); return l.Remove(1); }`, "cannot convert from 'int' to 'string'"},
		{`@{ var s = new HashSet<int>(); return s.RemoveWhere(x => x); }`, "must be a lambda returning bool, not int"},
		{`@{ var s = new HashSet<int>(); return s.Overlaps(); }`, "no overload for method 'Overlaps' takes 0 arguments"},
		{`@{ var s = new HashSet<int>(); s.TrimExcess(); return 1; }`, "'HashSet<int>' does not contain a definition for 'TrimExcess'"},
		{`@{ var a = new[] { 1 }; a.Remove(1); return 1; }`, "no overload for method 'Remove' takes 1 arguments"},
		{`@{ var l = new List<int>(); var x = l.Add(1); return x; }`, "cannot assign void"},
		{`@{ var d = new Dictionary<string, int>(); return d.TryAdd(1, 1); }`, "cannot convert from 'int' to 'string'"},
		// a collection shared with where it came from cannot change here
		{`@{ foreach (var s in new[] { new HashSet<int>() }) { s.Add(1); } return 1; }`, "'HashSet<int>.Add' changes the collection 's' shares with where it came from"},
		{`@{ void Put(List<string> l) { l.Remove("a"); } var x = new List<string>(); Put(x); return x.Count; }`, "'List<string>.Remove' changes the collection 'l' shares"},
		{`@(new[] { 1 }.ToList().Remove(1))`, "'List<int>.Remove' changes the collection: here only a collection held in a local variable can be changed"},
		{`@(new[] { 1 }.ToList().RemoveAll(x => x > 0))`, "'List<int>.RemoveAll' changes the collection: here only a collection held in a local variable can be changed"},
		{`@{ var s = new HashSet<int> { 1 }; return s.RemoveAll(x => x > 0); }`, "'HashSet<int>' does not contain a definition for 'RemoveAll'"},
		{`@{ var l = new List<int> { 1 }; return l.RemoveWhere(x => x > 0); }`, "'List<int>' does not contain a definition for 'RemoveWhere'"},
		{`@{ var l = new List<int> { 1 }; return l.RemoveAll(x => x); }`, "must be a lambda returning bool, not int"},
		// Sum's and Average's overloads are int, long, float, double, decimal
		{`@(new short[] { 1, 2 }.Sum())`, "'short[]' does not contain a definition for 'Sum'"},
		{`@(new uint[] { 1 }.Average())`, "'uint[]' does not contain a definition for 'Average'"},
		{`@(new ulong[] { 1 }.Sum(x => x))`, "the call of Sum is ambiguous between its float and decimal overloads"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, errs, tc.want)
		}
	}
}
