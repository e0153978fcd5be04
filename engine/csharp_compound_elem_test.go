package engine

import (
	"strings"
	"testing"
)

// TestCSharpElementCompoundAssign: x op= y, ??= and ++/-- on an element of
// an array, a List<T> and a Dictionary<K,V>, with C#'s answers: the
// receiver and the index evaluated once, the element's type kept (int
// wraps, byte narrows as C#'s compound assignment does, decimal stays
// decimal), the value of the expression the new one (the old one for a
// postfix ++/--), and .NET's exceptions for a missing key or an index
// outside. Arrays of nullable value types (int?[], new decimal?[n]) too.
func TestCSharpElementCompoundAssign(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		// arrays
		{`var a = new int[3]; a[0] += 2; a[1]++; ++a[2]; return string.Join(",", a);`, "2,1,1"},
		{`var a = new[] { 10, 10, 10, 10, 10, 12, 12, 12, 1, 64 }; a[0] -= 3; a[1] *= 3; a[2] /= 3; a[3] %= 3; a[4] += 1; a[5] &= 10; a[6] |= 1; a[7] ^= 5; a[8] <<= 4; a[9] >>= 2; return string.Join(",", a);`, "7,30,3,1,11,8,13,9,16,16"},
		{`var a = new[] { 5 }; var x = a[0]++; var y = ++a[0]; var z = a[0]--; var w = --a[0]; return x + " " + y + " " + z + " " + w + " " + a[0];`, "5 7 7 5 5"},
		{`var a = new[] { 1 }; var x = a[0] += 2; return x + " " + a[0];`, "3 3"},
		{`var a = new int[3]; var i = 0; a[i++] += 1; a[i++]++; return i + " " + string.Join(",", a);`, "2 1,1,0"},
		{`var n = 0; var a = new int[2]; int[] A() { n++; return a; } A()[1] += 5; A()[0]++; return n + " " + string.Join(",", a);`, "2 1,5"},
		{`var a = new[] { int.MaxValue }; a[0] += 1; return a[0];`, "-2147483648"},
		{`var a = new[] { int.MinValue }; a[0]--; return a[0];`, "2147483647"},
		{`var a = new long[] { 1 }; a[0] <<= 40; return a[0];`, "1099511627776"},
		{`var b = new byte[] { 250 }; b[0] += 10; return b[0];`, "4"},
		{`var b = new byte[1]; b[0]--; return b[0];`, "255"},
		{`var b = new byte[] { 255 }; var old = b[0]++; return old + " " + b[0];`, "255 0"},
		{`var a = new decimal[] { 1.5m }; a[0] += 1; a[0] *= 2m; return a[0];`, "5.0"},
		{`var a = new decimal[2]; a[1]++; return a[1] / 3;`, "0.3333333333333333333333333333"},
		{`var a = new double[] { 1 }; a[0] /= 4; return a[0];`, "0.25"},
		{`var s = new string[2]; s[0] += "a"; s[0] += 1; return s[0] + "|" + (s[1] ?? "null");`, "a1|null"},
		{`var s = new string[2]; s[0] ??= "x"; var r = s[0] ??= "y"; return r + s[0];`, "xx"},
		{`var b = new[] { true, false }; b[0] &= false; b[1] |= true; return b[0] + " " + b[1];`, "False True"},
		// arrays of nullable value types
		{`var a = new int?[2]; a[0] = 1; a[0] += 2; a[1]++; return a[0] + "," + (a[1] == null);`, "3,True"},
		{`int?[] a = new int?[] { 1, null }; return a[1].HasValue + " " + a.Length;`, "False 2"},
		{`var d = new decimal?[] { 1m, null }; return (d[0] + 1) + " " + (d[1] ?? 7m);`, "2 7"},
		{`var n = 3; var d = new decimal?[n]; return "" + (d[2] == null);`, "True"},
		{`var a = new int?[1]; a[0] ??= 5; return a[0];`, "5"},
		// lists
		{`var l = new List<int>{1,2}; l[0] += 5; l[1]++; return string.Join(",", l);`, "6,3"},
		{`var l = new List<int>{1}; var x = l[0]++; var y = l[0] *= 10; return x + " " + y + " " + l[0];`, "1 20 20"},
		{`var l = new List<string>{"a"}; l[0] += "b"; return l[0];`, "ab"},
		{`var l = new List<int>{1}; var k = l; l[0] += 1; return k[0];`, "2"},
		{`var a = new int[1]; var b = a; a[0] += 3; b[0]++; return a[0] + " " + b[0];`, "4 4"},
		{`var d = new Dictionary<string, byte> { { "a", 255 } }; d["a"]++; return d["a"];`, "0"},
		{`var d = new Dictionary<string, double> { { "a", 1 } }; d["a"] /= 4; return d["a"];`, "0.25"},
		// dictionaries
		{`var d = new Dictionary<string,int>(); d["x"] = 1; d["x"] += 2; d["x"]++; return d["x"];`, "4"},
		{`var d = new Dictionary<string,int>{{"a", 1}}; var x = d["a"]++; var y = --d["a"]; return x + " " + y + " " + d["a"];`, "1 1 1"},
		{`var counts = new Dictionary<string, int>(); foreach (var w in "a b a c a b".Split(' ')) { if (!counts.ContainsKey(w)) counts[w] = 0; counts[w]++; } return string.Join(",", counts.Select(kv => kv.Key + "=" + kv.Value));`, "a=3,b=2,c=1"},
		{`var d = new Dictionary<string, decimal> { { "a", 1.5m } }; d["a"] += 1; d["a"]++; return d["a"];`, "3.5"},
		{`var d = new Dictionary<string, string> { { "a", null } }; d["a"] ??= "x"; d["a"] += "y"; return d["a"];`, "xy"},
		// .NET's exceptions
		{`var d = new Dictionary<string,int>(); try { d["k"] += 1; return "no"; } catch (KeyNotFoundException e) { return e.Message; }`, "The given key 'k' was not present in the dictionary."},
		{`var d = new Dictionary<string,int>(); try { d["k"]++; return "no"; } catch (KeyNotFoundException e) { return e.Message + d.Count; }`, "The given key 'k' was not present in the dictionary.0"},
		{`var a = new int[1]; try { a[1] += 1; return "no"; } catch (IndexOutOfRangeException e) { return e.Message; }`, "Index was outside the bounds of the array."},
		{`var a = new int[1]; var i = -1; try { a[i]++; return "no"; } catch (IndexOutOfRangeException e) { return e.Message; }`, "Index was outside the bounds of the array."},
		{`var l = new List<int>{1}; try { l[1] += 1; return "no"; } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')"},
		{`var l = new List<int>(); var i = -1; try { l[i]--; return "no"; } catch (ArgumentOutOfRangeException e) { return e.Message; }`, "Index was out of range. Must be non-negative and less than the size of the collection. (Parameter 'index')"},
		{`int[] a = null; try { a[0]++; return "no"; } catch (NullReferenceException) { return "null"; }`, "null"},
		{`var a = new[] { 1 }; try { checked { a[0] += int.MaxValue; } return "no"; } catch (OverflowException) { return "overflow " + a[0]; }`, "overflow 1"},
	} {
		csBothBlocks(t, c.src, c.want, nil)
	}
}

// TestCSharpElementCompoundAssignErrors: what C# refuses stays a load
// error, JSON's indexer among them (C# has no + on JToken).
func TestCSharpElementCompoundAssignErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`var o = new JObject(); o["k"] += 1; return o;`, "JToken"},
		{`var o = new JArray(1); o[0]++; return o;`, "JToken"},
		{`var a = new string[1]; a[0]++; return a[0];`, "operator '++' cannot be applied to operand of type 'string'"},
		{`var a = new int[1]; a[0] += "x"; return a[0];`, "operator '+=' cannot be applied to operands of type 'int' and 'string'"},
		{`var a = new int[1]; a["x"] += 1; return a[0];`, "cannot implicitly convert type 'string' to 'int'"},
		{`var d = new Dictionary<string, int>(); d["k"] ??= 1; return d["k"];`, "operator '??='"},
	} {
		_, _, errs := csCompile(t, "@{ "+c.src+" }")
		if len(errs) == 0 || !strings.Contains(errs.Error(), c.want) {
			t.Errorf("%s: got %v, want a load error with %q", c.src, errs, c.want)
		}
	}
}
