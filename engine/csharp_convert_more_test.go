package engine

import (
	"strings"
	"testing"
)

// Convert.ToInt16, ToSByte, ToUInt64 and ToSingle ("System.Convert | All"
// in APIM's table of allowed types), with .NET's OverflowExceptions.
func TestCSharpConvertMore(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Convert.ToInt16("-32768") + " " + Convert.ToInt16(32767) + " " + Convert.ToInt16(2.5) + " " + Convert.ToInt16(3.5) + " " + Convert.ToInt16(true) + " " + Convert.ToInt16(null)`, "-32768 32767 2 4 1 0"},
		{`Convert.ToSByte("-128") + " " + Convert.ToSByte(127) + " " + Convert.ToSByte(" 5 ")`, "-128 127 5"},
		{`Convert.ToUInt64("18446744073709551615") + " " + Convert.ToUInt64(42) + " " + Convert.ToUInt64(1e19) + " " + Convert.ToUInt64("-0") + " " + Convert.ToUInt64(false)`, "18446744073709551615 42 10000000000000000000 0 0"},
		{`Convert.ToSingle("1.5") + " " + Convert.ToSingle(2) + " " + (Convert.ToSingle(0.1) == 0.1) + " " + Convert.ToSingle(null) + " " + double.IsPositiveInfinity(Convert.ToSingle("1e39"))`, "1.5 2 False 0 True"},
		{`(Convert.ToInt16("7") + Convert.ToSByte(1)) * 2 + " " + (Convert.ToUInt64(5) + 1UL)`, "16 6"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Convert.ToInt16(32768).ToString())`, "Value was either too large or too small for an Int16."},
		{`@(Convert.ToInt16("99999").ToString())`, "Value was either too large or too small for an Int16."},
		{`@(Convert.ToSByte(-129).ToString())`, "Value was either too large or too small for a signed byte."},
		{`@(Convert.ToUInt64(-1).ToString())`, "Value was either too large or too small for a UInt64."},
		{`@(Convert.ToUInt64("-1").ToString())`, "Value was either too large or too small for a UInt64."},
		{`@(Convert.ToUInt64("18446744073709551616").ToString())`, "Value was either too large or too small for a UInt64."},
		{`@(Convert.ToInt16("x").ToString())`, "The input string 'x' was not in a correct format."},
		{`@(Convert.ToSingle("x").ToString())`, "The input string 'x' was not in a correct format."},
	} {
		if _, err, _ := csRun(t, tc.src, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
}
