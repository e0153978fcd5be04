package engine

import (
	"strings"
	"testing"
)

// List<T>.Sort(), FindAll, GetRange, Dictionary.ContainsValue, and LINQ's
// Enumerable.Empty<T>(), Append, Prepend and AsEnumerable, which APIM's
// table of allowed types lists.
func TestCSharpLinqMore(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var l = new List<int> { 3, 1, 2 }; l.Sort(); return string.Join(",", l);`, "1,2,3"},
		{`var l = new List<string> { "b", null, "a" }; l.Sort(); return string.Join(",", l) + " " + l.Count;`, ",a,b 3"},
		// List<T>.FindAll's documentation example, in short
		{`var dinos = new List<string> { "Compsognathus", "Amargasaurus", "Oviraptor", "Velociraptor", "Deinonychus", "Dilophosaurus", "Gallimimus", "Triceratops" };
		  return string.Join(",", dinos.FindAll(s => s.EndsWith("saurus")));`, "Amargasaurus,Dilophosaurus"},
		{`var l = new List<int> { 1, 2, 3, 4, 5 }; var r = l.GetRange(1, 3); r.Add(9); return string.Join(",", r) + " " + string.Join(",", l) + " " + l.GetRange(5, 0).Count;`, "2,3,4,9 1,2,3,4,5 0"},
		{`var d = new Dictionary<string, int> { { "a", 1 }, { "b", 2 } }; return d.ContainsValue(2) + " " + d.ContainsValue(3);`, "True False"},
		{`var d = new Dictionary<string, string> { { "a", "x" } }; return d.ContainsValue("x") + " " + d.ContainsValue(null);`, "True False"},
		{`return Enumerable.Empty<string>().Count() + " " + Enumerable.Empty<int>().Any() + " " + string.Join(",", Enumerable.Empty<int>().Append(1));`, "0 False 1"},
		{`var xs = new[] { 1, 2 }; return string.Join(",", xs.Append(3)) + " " + string.Join(",", xs.Prepend(0)) + " " + xs.Length;`, "1,2,3 0,1,2 2"},
		{`var l = new List<string> { "b" }; return string.Join(",", l.Prepend("a").Append("c").ToArray());`, "a,b,c"},
		{`return string.Join(",", new[] { 3, 1 }.AsEnumerable().OrderBy(x => x)) + " " + new string("ab".Append('c').ToArray());`, "1,3 abc"},
		{`var sb = new StringBuilder(); sb.Append("x"); return sb.ToString();`, "x"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var l = new List<int> { 1, 2 }; return l.GetRange(1, 2).Count.ToString(); }`, "Offset and length were out of bounds"},
		{`@{ var l = new List<int> { 1, 2 }; return l.GetRange(-1, 1).Count.ToString(); }`, "Non-negative number required. (Parameter 'index')"},
		{`@{ var l = new List<int> { 1, 2 }; return l.GetRange(0, -1).Count.ToString(); }`, "Non-negative number required. (Parameter 'count')"},
		{`@{ var l = new List<object> { 1, "a" }; l.Sort(); return "x"; }`, "Failed to compare two elements in the array."},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(new[] { 1 }.GetRange(0, 1).Length.ToString())`, "'int[]' does not contain a definition for 'GetRange'"},
		{`@(Enumerable.Empty().Count().ToString())`, "write Enumerable.Empty<string>()"},
		{`@{ var l = new List<int> { 2, 1 }; l.Sort(StringComparer.Ordinal); return "x"; }`, "tollgate's comparers are StringComparer's: Sort of a List<int> takes no comparer here"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
