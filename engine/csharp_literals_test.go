package engine

import "testing"

// A literal makes a new object on every evaluation, as C# does: a policy
// that changes the array, list, set or dictionary a literal made does not
// change what the next request's evaluation starts from. (expr folds a
// literal of constants into one value its every run shares; the lowered
// program copies it.)
func TestCSharpLiteralsAreFreshPerRun(t *testing.T) {
	for _, src := range []string{
		`@{ var a = new[] { 1, 2 }; var r = a[0]; a[0] = 9; return r; }`,
		`@{ int[] a = { 1, 2 }; var r = a[0]; a[0] = 9; return r; }`,
		`@{ var a = new int[] { 1, 2 }; var r = a[0]; a[0] = a[0] + 5; return r; }`,
		`@{ var a = new[] { "1", "y" }; var r = a[0]; a[0] = "z"; return r; }`,
		`@{ var l = new List<int> { 1, 2 }; var r = l[0]; l[0] = 9; return r; }`,
		`@{ var b = new byte[] { 1, 2 }; var r = b[0]; b[0] = 9; return r; }`,
		`@{ var j = new[] { new[] { 1 }, new[] { 2 } }; var r = j[0][0]; j[0][0] = 9; return r; }`,
		`@{ var s = new HashSet<int> { 1 }; var r = s.Count; s.Add(2); return r; }`,
		`@{ var d = new Dictionary<string, int> { { "a", 1 } }; var r = d.Count; d["b"] = 2; return r; }`,
		`@{ var q = new Queue<int>(new[] { 1 }); var r = q.Count; q.Enqueue(2); return r; }`,
	} {
		csRunTwice(t, src, "1")
	}
}
