package engine

import (
	"strings"
	"testing"
)

// TestCSharpLinqOnBytes: a byte[] is an IEnumerable<byte>, and LINQ's
// operators run on it as on other arrays (policies take bytes apart to
// check a signature or a magic number). Expected values follow
// learn.microsoft.com's System.Linq.Enumerable pages: Select, Where, Take,
// Skip, Concat and Reverse give an IEnumerable<byte> (or of what the
// selector gives) whose ToArray() is a byte[]; Sum has no overload for
// IEnumerable<byte> (Enumerable.Sum lists int, long, float, double and
// decimal) and Sum(b => b) is Sum<TSource>(…, Func<TSource, Int32>), an
// int; SequenceEqual compares "corresponding elements ... by using the
// default equality comparer"; First and Last of an empty sequence throw
// InvalidOperationException. Each runs lowered and on the interpreter.
func TestCSharpLinqOnBytes(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Where(b => b > 1).ToArray())`, "02-03"},
		{`new byte[] { 1, 2, 3 }.Select(b => b * 2).Sum()`, "12"},
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Select(b => (byte)(b ^ 0xFF)).ToArray())`, "FE-FD-FC"},
		{`string.Concat(new byte[] { 1, 2, 171 }.Select(b => b.ToString("x2")))`, "0102ab"},
		{`BitConverter.ToString(new byte[] { 1, 2, 3 }.Take(2).ToArray()) + " " + BitConverter.ToString(new byte[] { 1, 2, 3 }.Skip(1).ToArray())`, "01-02 02-03"},
		{`Convert.ToBase64String(new byte[] { 1, 2, 3 }.Concat(new byte[] { 4 }).ToArray())`, "AQIDBA=="},
		{`Encoding.UTF8.GetString(Encoding.UTF8.GetBytes("hello").Reverse().ToArray())`, "olleh"},
		{`new byte[] { 1, 2, 3 }.SequenceEqual(new byte[] { 1, 2, 3 }) + " " + new byte[] { 1, 2, 3 }.SequenceEqual(new byte[] { 1, 2, 4 }) + " " + new byte[] { 1, 2 }.SequenceEqual(new byte[] { 1, 2, 3 })`, "True False False"},
		{`new byte[] { 1, 2, 3 }.SequenceEqual(new List<byte> { 1, 2, 3 })`, "true"},
		{`new byte[] { 1, 2, 3 }.Any() + " " + new byte[0].Any() + " " + new byte[] { 1, 2, 3 }.Any(b => b == 2) + " " + new byte[] { 1, 2, 3 }.All(b => b > 1)`, "True False True False"},
		{`new byte[] { 1, 2, 3 }.Count() + new byte[] { 1, 2, 3 }.Count(b => b > 1)`, "5"},
		{`new byte[] { 1, 2, 3 }.First() + " " + new byte[] { 1, 2, 3 }.Last() + " " + new byte[0].FirstOrDefault() + " " + new byte[] { 1, 2, 3 }.Skip(1).First()`, "1 3 0 2"},
		{`new byte[] { 255, 255 }.Sum(b => b)`, "510"}, // an int: no byte overflow
		{`new byte[] { 1, 2, 3 }.Aggregate(0, (acc, b) => acc + b)`, "6"},
		{`new byte[] { 1, 2, 3 }.Aggregate((acc, b) => (byte)(acc ^ b))`, "0"}, // 1^2=3, 3^3=0: a byte
		{`new byte[] { 1, 2, 3 }.ToList().Count`, "3"},
		{`new byte[] { 3, 1, 2 }.Max() + new byte[] { 3, 1, 2 }.Min()`, "4"},
		{`new byte[] { 1, 2, 3 }.Contains((byte)2)`, "true"},
		{`Encoding.UTF8.GetBytes("héllo").Where(b => b < 128).Count()`, "4"},
		{`new byte[] { 1, 2, 3 }.Select((b, i) => b * i).Sum()`, "8"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ stmts, want string }{
		{`var h = Encoding.UTF8.GetBytes("abc"); byte[] x = h.Take(2).ToArray(); return x.Length;`, "2"},
		{`var l = new byte[] { 1, 2, 3 }.ToList(); l.Add(9); return Convert.ToBase64String(l.ToArray());`, "AQIDCQ=="},
		{`var sig = Convert.FromBase64String("AQID"); var want = new byte[] { 1, 2, 3 }; return sig.Length == want.Length && sig.SequenceEqual(want);`, "true"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(new byte[0].First())`, "Sequence contains no"},
		{`@(new byte[0].Last())`, "Sequence contains no"},
		{`@{ byte[] n = null; return n.Any(); }`, "Value cannot be null. (Parameter 'source')"},
		{`@(new byte[] { 1 }.SequenceEqual(null))`, "Value cannot be null."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// C#'s compile errors: no Sum for IEnumerable<byte>, an int where the
	// seedless Aggregate wants a byte
	for _, tc := range []struct{ src, want string }{
		{`@(new byte[] { 1 }.Sum())`, "'byte[]' does not contain a definition for 'Sum'"},
		{`@(new byte[] { 1 }.Aggregate((a, b) => a ^ b))`, "cannot implicitly convert type 'int' to 'byte'"},
		{`@(Convert.ToBase64String(new byte[] { 1 }.Reverse()))`, "cannot convert from"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
