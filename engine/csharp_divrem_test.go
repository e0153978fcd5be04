package engine

import (
	"strings"
	"testing"
)

// Math.DivRem(a, b, out r) ("System.Math | All" in APIM's table of allowed
// types); the values are .NET's documentation example's.
func TestCSharpDivRem(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`int q = Math.DivRem(int.MaxValue, 2000, out int r); return q + " " + r;`, "1073741 1647"},
		{`var q = Math.DivRem(int.MaxValue, -2000, out var r); return q + " " + r;`, "-1073741 1647"},
		{`var q = Math.DivRem(-14032, 2000, out var r); return q + " " + r;`, "-7 -32"},
		{`var q = Math.DivRem(int.MinValue, 2000, out var r); return q + " " + r;`, "-1073741 -1648"},
		{`long q = Math.DivRem(long.MaxValue, 2000L, out long r); return q + " " + r;`, "4611686018427387 1807"},
		{`int r = 0; var q = Math.DivRem(7, -2, out r); return q + " " + r;`, "-3 1"},
		{`var q = Math.DivRem(7, 2, out long r); return q + " " + r;`, "3 1"},
		{`var s = 0; for (var i = 0; i < 3; i++) { s += Math.DivRem(10 + i, 3, out var r) * 10 + r; } return s.ToString();`, "103"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothBlocks(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var q = Math.DivRem(1, 0, out var r); return q.ToString(); }`, "Attempted to divide by zero."},
		{`@{ var q = Math.DivRem(int.MinValue, -1, out var r); return q.ToString(); }`, "Arithmetic operation resulted in an overflow."},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Math.DivRem(7, 2).ToString())`, "no overload for method 'DivRem' takes 2 arguments"},
		{`@(Math.DivRem(7, 2, 1).ToString())`, "argument 3 must be passed with the 'out' keyword"},
		{`@(Math.DivRem(7L, 2, out int r).ToString())`, "cannot convert from 'out int' to 'out long'"},
		{`@(Math.DivRem("7", 2, out var r).ToString())`, "cannot convert from 'string' to 'long'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
