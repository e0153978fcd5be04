package csharp

import (
	"strings"
	"testing"
)

// TestStringComparer: StringComparer wherever .NET takes one, with .NET's
// results (the examples of "StringComparer Class", "Dictionary<TKey,
// TValue>(IEqualityComparer<TKey>)", "HashSet<T>(IEnumerable<T>,
// IEqualityComparer<T>)" and Enumerable's comparer overloads).
func TestStringComparer(t *testing.T) {
	front := fuzzFront(t)
	wantResults(t, front, []runCase{
		// the comparer itself
		{`return StringComparer.OrdinalIgnoreCase.Equals("file", "FILE");`, "True"},
		{`return StringComparer.Ordinal.Equals("file", "FILE");`, "False"},
		{`return StringComparer.InvariantCultureIgnoreCase.Equals("Straße", "STRAẞE");`, "True"},
		{`return StringComparer.Ordinal.Equals(null, null) + "|" + StringComparer.Ordinal.Equals("a", null);`, "True|False"},
		{`return StringComparer.Ordinal.Compare("a", "B") > 0;`, "True"},
		{`return StringComparer.OrdinalIgnoreCase.Compare("a", "B") < 0;`, "True"},
		{`return StringComparer.InvariantCulture.Compare("a", "B") < 0;`, "True"},
		{`return StringComparer.CurrentCulture.Compare("a", "A") < 0;`, "True"},
		{`return StringComparer.Ordinal.Compare(null, "a") < 0;`, "True"},
		{`var c = StringComparer.OrdinalIgnoreCase; return c.GetHashCode("Key") == c.GetHashCode("KEY");`, "True"},
		{`StringComparer c = StringComparer.InvariantCultureIgnoreCase; return c.Equals("a", "A");`, "True"},
		{`IEqualityComparer<string> c = StringComparer.Ordinal; return c.Equals("a", "A");`, "False"},
		// string.Equals and string.Compare with a StringComparison
		{`return string.Equals("é", "e\u0301", StringComparison.InvariantCulture);`, "True"},
		{`return string.Equals("é", "e\u0301", StringComparison.Ordinal);`, "False"},
		{`return string.Equals("ABC", "abc", StringComparison.OrdinalIgnoreCase) + "|" + "ABC".Equals("abc", StringComparison.CurrentCultureIgnoreCase);`, "True|True"},
		{`return string.Compare("a", "B", StringComparison.OrdinalIgnoreCase) < 0;`, "True"},
		// Dictionary with a comparer: indexer, ContainsKey, TryGetValue, Add, Remove
		{`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); d["Content-Type"] = 1; d["content-type"] = 2; return d.Count + "|" + d["CONTENT-TYPE"] + "|" + string.Join(",", d.Keys);`, "1|2|Content-Type"},
		{`var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); d.Add("txt", "notepad.exe"); return d.ContainsKey("TXT") + "|" + d.ContainsKey("bmp");`, "True|False"},
		{`var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase); d.Add("a", "1"); string v; return d.TryGetValue("A", out v) + "|" + v;`, "True|1"},
		{`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); d.Add("a", 1); return d.Remove("A") + "|" + d.Count + "|" + d.ContainsKey("a");`, "True|0|False"},
		{`var d = new Dictionary<string, int>(10, StringComparer.OrdinalIgnoreCase); d["x"] = 1; return d["X"];`, "1"},
		{`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { { "a", 1 }, { "b", 2 } }; return (int)d["A"] + (int)d["B"];`, "3"},
		{`var src = new Dictionary<string, int> { { "a", 1 } }; var d = new Dictionary<string, int>(src, StringComparer.OrdinalIgnoreCase); return d["A"];`, "1"},
		{`var d = new Dictionary<string, int>(); d["a"] = 1; return d.ContainsKey("A");`, "False"},
		{`var d = new Dictionary<string, int>(StringComparer.Ordinal); d["a"] = 1; return d.ContainsKey("A");`, "False"},
		// HashSet with a comparer
		{`var s = new HashSet<string>(new[] { "a", "A", "b" }, StringComparer.OrdinalIgnoreCase); return s.Count + "|" + s.Contains("B") + "|" + string.Join(",", s);`, "2|True|a,b"},
		{`HashSet<string> s = new HashSet<string>(StringComparer.OrdinalIgnoreCase); s.Add("x"); s.Add("X"); return s.Count + "|" + s.Contains("x");`, "1|True"},
		{`var s = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "GET", "get", "Post" }; return s.Count + "|" + s.Contains("POST");`, "2|True"},
		{`var s = new HashSet<string> { "a" }; s.Add("a"); s.Add("A"); return s.Count;`, "2"},
		{`var s = new HashSet<string>(new[] { "a", "A" }); return s.Contains("A") + "|" + s.Contains("b");`, "True|False"},
		{`var l = new List<string>(new[] { "x", "y" }); l.Add("z"); return string.Join(",", l);`, "x,y,z"},
		// LINQ's comparer overloads
		{`return string.Join(",", new[] { "a", "A", "b", "B" }.Distinct(StringComparer.OrdinalIgnoreCase));`, "a,b"},
		{`return new[] { "a", "b" }.Contains("B", StringComparer.OrdinalIgnoreCase);`, "True"},
		{`var c = StringComparer.OrdinalIgnoreCase; return new[] { "a", "b" }.Contains("B", c);`, "True"},
		{`return string.Join(",", new[] { "a", "B", "c" }.Except(new[] { "A", "b" }, StringComparer.OrdinalIgnoreCase));`, "c"},
		{`return string.Join(",", new[] { "a", "B", "c" }.Intersect(new[] { "A", "b" }, StringComparer.OrdinalIgnoreCase));`, "a,B"},
		{`return string.Join(",", new[] { "a", "B" }.Union(new[] { "A", "b", "c" }, StringComparer.OrdinalIgnoreCase));`, "a,B,c"},
		{`return string.Join(";", new[] { "a", "A", "b" }.GroupBy(x => x, StringComparer.OrdinalIgnoreCase).Select(g => g.Key + "=" + g.Count()));`, "a=2;b=1"},
		{`return string.Join(";", new[] { "a", "A", "b" }.GroupBy(x => x, x => x.ToUpper(), StringComparer.OrdinalIgnoreCase).Select(g => g.Key + "=" + string.Join("", g)));`, "a=AA;b=B"},
		{`var d = new[] { "Content-Type", "X-Id" }.ToDictionary(x => x, StringComparer.OrdinalIgnoreCase); return d.ContainsKey("content-type");`, "True"},
		{`var d = new[] { "ab", "c" }.ToDictionary(x => x, x => x.Length, StringComparer.OrdinalIgnoreCase); return d["AB"];`, "2"},
		{`return string.Join(",", new[] { "b", "B", "a", "A" }.OrderBy(x => x, StringComparer.Ordinal));`, "A,B,a,b"},
		{`return string.Join(",", new[] { "b", "B", "a", "A" }.OrderBy(x => x, StringComparer.InvariantCulture));`, "a,A,b,B"},
		{`return string.Join(",", new[] { "b", "B", "a", "A" }.OrderByDescending(x => x, StringComparer.Ordinal));`, "b,a,B,A"},
		{`return string.Join(",", new[] { "b1", "a2", "a1" }.OrderBy(x => x.Substring(1)).ThenBy(x => x, StringComparer.Ordinal));`, "a1,b1,a2"},
		{`return new[] { "a", "b" }.SequenceEqual(new[] { "A", "B" }, StringComparer.OrdinalIgnoreCase) + "|" + new[] { "a", "b" }.SequenceEqual(new[] { "A", "B" });`, "True|False"},
		{`return new[] { 1, 2 }.SequenceEqual(new[] { 1, 2 }) + "|" + new[] { 1, 2 }.SequenceEqual(new[] { 1 });`, "True|False"},
	})
	wantExceptions(t, front, []runCase{
		{`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase); d.Add("a", 1); d.Add("A", 2); return d.Count;`,
			"ArgumentException: An item with the same key has already been added. Key: A"},
		{`var d = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase) { { "a", 1 }, { "A", 2 } }; return d.Count;`,
			"ArgumentException: An item with the same key has already been added. Key: A"},
		{`var src = new Dictionary<string, int> { { "a", 1 }, { "A", 2 } }; return new Dictionary<string, int>(src, StringComparer.OrdinalIgnoreCase).Count;`,
			"ArgumentException: An item with the same key has already been added. Key: A"},
		{`return new[] { "a", "A" }.ToDictionary(x => x, StringComparer.OrdinalIgnoreCase).Count;`,
			"ArgumentException: An item with the same key has already been added. Key: A"},
		{`return new Dictionary<string, int>(-1).Count;`, "ArgumentOutOfRangeException: Non-negative number required. (Parameter 'capacity')"},
		{`return StringComparer.Ordinal.GetHashCode(null);`, "ArgumentNullException"},
	})
	for _, tc := range []struct{ src, want string }{
		{`var c = StringComparer.OrdinalIgnoreCase; return new HashSet<string>(c).Count;`, "a HashSet's comparer is written StringComparer.Ordinal"},
		{`return new Dictionary<string, int>("x").Count;`, "'Dictionary' has no constructor taking 'string' here"},
		{`return StringComparer.Ordinal.Equals(1, "a");`, "cannot convert from 'int' to 'string'"},
	} {
		_, err := front.Compile(tc.src, true)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
