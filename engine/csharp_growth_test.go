package engine

import (
	"runtime"
	"testing"
)

// A list or a string built in a loop grows in place: a loop of n
// additions allocates about n items, not n²/2 (5,000 Adds copied 200 MB;
// 20,000 Appends of ten bytes, 2 GB). Measured in bytes allocated, not in
// time. Copies of the string that another local holds keep their value,
// as they did with a copy per turn; a list that another local holds is
// the same list, as in .NET.
func TestCSharpLoopsGrowInPlace(t *testing.T) {
	for _, tc := range []struct {
		src, want string
		maxBytes  uint64
	}{
		{`@{ var l = new List<int>(); for (var i = 0; i < 5000; i++) { l.Add(i); } return l.Count + l[4999]; }`, "9999", 8 << 20},
		{`@{ var l = new List<string>(); foreach (var i in Enumerable.Range(0, 5000)) { l.Add("x"); } return l.Count; }`, "5000", 8 << 20},
		{`@{ var sb = new StringBuilder(); for (var i = 0; i < 20000; i++) { sb.Append("0123456789"); } return sb.ToString().Length; }`, "200000", 16 << 20},
		{`@{ var s = ""; foreach (var i in Enumerable.Range(0, 20000)) { s += "0123456789"; } return s.Length; }`, "200000", 16 << 20},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		v, err, _ := csRun(t, tc.src, nil)
		runtime.ReadMemStats(&after)
		if err != nil || show(v) != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.src, v, err, tc.want)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > tc.maxBytes {
			t.Errorf("%s: allocated %d bytes, want at most %d", tc.src, got, tc.maxBytes)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = new List<int>(); var b = a; for (var i = 0; i < 3; i++) { a.Add(i); } for (var i = 0; i < 2; i++) { b.Add(10 + i); } var c = a; for (var i = 0; i < 1; i++) { a.Add(99); c.Add(77); } return string.Join(",", a) + "|" + string.Join(",", b) + "|" + string.Join(",", c); }`,
			"0,1,2,10,11,99,77|0,1,2,10,11,99,77|0,1,2,10,11,99,77"}, // one list under three names, as in .NET (list.go's resolveAliases)
		{`@{ var a = ""; for (var i = 0; i < 3; i++) { a += "x"; } var b = a; for (var i = 0; i < 2; i++) { a += "y"; b += "z"; } return a + "|" + b; }`, "xxxyy|xxxzz"},
		{`@{ var sb = new StringBuilder(); foreach (var x in new[] {"a","b"}) { sb.Append(x).Append(","); } var t = sb.ToString(); sb.Append("!"); return t + "|" + sb.ToString(); }`, "a,b,|a,b,!"},
		{`@{ var s = "q"; for (var i = 0; i < 3; i++) { var t = s; s = s + i + ";"; if (i == 1) { s = t + "R"; } } return s; }`, "q0;R2;"},
		{`@{ var s = "ab"; for (var i = 0; i < 2; i++) { s += "c"; } var u = s.Substring(0, 2); for (var i = 0; i < 2; i++) { u += "Z"; } return s + "|" + u; }`, "abcc|abZZ"},
	} {
		csWant(t, tc.src, tc.want, nil)
	}
}
