package engine

import (
	"context"
	"strings"
	"testing"
)

// System.Array's Empty, Reverse and Sort, BitConverter's overloads (the
// bytes are .NET's on x86/x64: little-endian) and System.Single, which
// APIM's "API Management policy expressions" allows ("All" members).
func TestCSharpArrayBitConverterSingle(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"Array.Empty", `return Array.Empty<int>().Length + Array.Empty<byte>().Length + Array.Empty<string>().Count();`, "0"},
		{"Array.Reverse in place", `var a = new int[] { 1, 2, 3 }; Array.Reverse(a); return string.Join(",", a);`, "3,2,1"},
		{"Array.Reverse a range", `var a = new[] { "a", "b", "c", "d" }; Array.Reverse(a, 1, 2); return string.Join("", a);`, "acbd"},
		{"Array.Reverse bytes", `var a = Encoding.UTF8.GetBytes("abc"); Array.Reverse(a); return Encoding.UTF8.GetString(a);`, "cba"},
		{"Array.Reverse shares the array", `var a = new[] { 1, 2 }; var b = a; Array.Reverse(b); return a[0];`, "2"},
		{"Array.Sort numbers", `var a = new int[] { 3, 1, 2 }; Array.Sort(a); return string.Join(",", a);`, "1,2,3"},
		{"Array.Sort strings: culture order, nulls first", `var a = new string[] { "b", null, "a", "C" }; Array.Sort(a); return string.Join(",", a);`, ",a,b,C"},
		{"Array.Sort bytes", `var a = new byte[] { 9, 1, 5 }; Array.Sort(a); return BitConverter.ToString(a);`, "01-05-09"},
		{"GetBytes(long)", `return BitConverter.ToString(BitConverter.GetBytes(1L));`, "01-00-00-00-00-00-00-00"},
		{"GetBytes(short)", `return BitConverter.ToString(BitConverter.GetBytes((short)-2));`, "FE-FF"},
		{"GetBytes(ushort)", `return BitConverter.ToString(BitConverter.GetBytes((ushort)513));`, "01-02"},
		{"GetBytes(uint)", `return BitConverter.ToString(BitConverter.GetBytes(1u));`, "01-00-00-00"},
		{"GetBytes(ulong)", `return BitConverter.ToString(BitConverter.GetBytes(ulong.MaxValue));`, "FF-FF-FF-FF-FF-FF-FF-FF"},
		{"GetBytes(double)", `return BitConverter.ToString(BitConverter.GetBytes(1.5));`, "00-00-00-00-00-00-F8-3F"},
		{"GetBytes(char)", `return BitConverter.ToString(BitConverter.GetBytes('A')) + " " + BitConverter.ToString(BitConverter.GetBytes('é'));`, "41-00 E9-00"},
		{"GetBytes(byte) is GetBytes(short)", `return BitConverter.ToString(BitConverter.GetBytes((byte)5));`, "05-00"},
		{"GetBytes(int) and (bool) as before", `return BitConverter.ToString(BitConverter.GetBytes(5)) + " " + BitConverter.ToString(BitConverter.GetBytes(true));`, "05-00-00-00 01"},
		{"GetBytes(long) round-trips", `long v = -5; return BitConverter.ToInt64(BitConverter.GetBytes(v), 0);`, "-5"},
		{"ToDouble, ToChar, ToBoolean, ToSingle", `return BitConverter.ToDouble(BitConverter.GetBytes(1.5), 0) + " " + BitConverter.ToChar(BitConverter.GetBytes('z'), 0) + " " + BitConverter.ToBoolean(new byte[] { 0, 1 }, 1) + " " + BitConverter.ToSingle(new byte[] { 0, 0, 0xC0, 0x3F }, 0);`, "1.5 z True 1.5"},
		{"IsLittleEndian, DoubleToInt64Bits", `return BitConverter.IsLittleEndian + " " + BitConverter.DoubleToInt64Bits(1.0) + " " + BitConverter.Int64BitsToDouble(4611686018427387904L);`, "True 4607182418800017408 2"},
		{"float.Parse and Single.Parse", `return float.Parse("1.5") + Single.Parse("2") + " " + float.Parse("3", CultureInfo.InvariantCulture);`, "3.5 3"},
		{"float.TryParse", `float f; var ok = float.TryParse("2.5", out f); float g; var bad = float.TryParse("x", out g); return ok + " " + f + " " + bad + " " + g;`, "True 2.5 False 0"},
		{"Single's limits", `return float.MaxValue + " " + (Single.MinValue == -float.MaxValue) + " " + float.Epsilon + " " + float.IsNaN(float.NaN);`, "3.4028234663852886E+38 True 1.401298464324817E-45 True"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	// an array literal is made anew for each evaluation: Reverse, Sort and
	// Copy change the one this run made, not the next run's
	for _, src := range []string{`@{ var a = new int[] { 1, 2, 3 }; Array.Reverse(a); return a[0]; }`, `@{ var a = new int[] { 3, 1, 2 }; Array.Sort(a); Array.Reverse(a); return a[0]; }`,
		`@{ var a = new int[] { 1, 2, 3 }; Array.Copy(new[] { 3 }, a, 1); return a[0] + a[1] - 2; }`} {
		csRunTwice(t, src, "3")
	}
	for _, tc := range []struct{ src, want string }{

		{`@{ int[] a = null; Array.Sort(a); return 0; }`, "Value cannot be null. (Parameter 'array')"},
		{`@{ int[] a = null; Array.Reverse(a); return 0; }`, "Value cannot be null. (Parameter 'array')"},
		{`@{ var a = new int[] { 1 }; Array.Reverse(a, 0, 2); return 0; }`, "Offset and length were out of bounds"},
		{`@{ var a = new int[] { 1 }; Array.Reverse(a, -1, 1); return 0; }`, "Non-negative number required. (Parameter 'index')"},
		{`@{ var a = new object[] { JObject.Parse("{}"), JObject.Parse("{}") }; Array.Sort(a); return 0; }`, "Failed to compare two elements in the array."},
		{`@(BitConverter.ToDouble(new byte[4], 0))`, "Destination array is not long enough"},
		{`@(BitConverter.ToChar(new byte[2], 2))`, "Index was out of range."},
		{`@(float.Parse("x"))`, "The input string 'x' was not in a correct format."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = new List<int> { 3, 1 }; Array.Sort(a); return 0; }`, "cannot convert from 'List<int>' to 'System.Array'"},
		{`@{ Array.Reverse("abc"); return 0; }`, "cannot convert from 'string' to 'System.Array'"},
		{`@(Array.Empty().Length)`, "cannot be inferred from the usage"},
		{`@(Array.Empty<int>(1).Length)`, "no overload for method 'Empty' takes 1 arguments"},
		{`@(BitConverter.GetBytes("x"))`, "cannot convert from 'string' to 'int'"},
		{`@(BitConverter.ToDouble("x", 0))`, "cannot convert from 'string' to 'byte[]'"},
		{`@(float.Parse(1))`, "cannot convert from 'int' to 'string'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// csRunTwice runs one compiled text twice: both runs give want.
func csRunTwice(t *testing.T, src, want string) {
	t.Helper()
	plan, _, errs := csCompile(t, src)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for i := 0; i < 2; i++ {
		s := csState()
		if plan.Run(context.Background(), Inbound, s) {
			t.Fatalf("%s: run %d: %v", src, i, s.LastError().Message)
		}
		if got := show(s.Variables()["out"]); got != want {
			t.Errorf("%s: run %d: %s, want %s", src, i, got, want)
		}
		s.Release()
	}
}
