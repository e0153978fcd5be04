package engine

import (
	"strings"
	"testing"
)

// TestCSharpNumberStylesInPolicy: NumberStyles parsing in a policy, its
// .NET exceptions at run time, and a ParseExact format tollgate cannot
// read reported at load at the place it is written.
func TestCSharpNumberStylesInPolicy(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`@(int.Parse("FFFFFFFF", NumberStyles.HexNumber))`, "-1"},
		{`@{ int n; return int.TryParse(" (1,000) ", NumberStyles.Any, CultureInfo.InvariantCulture, out n) ? n : 0; }`, "-1000"},
		{`@(Convert.ToString(-2, 16) + "|" + (1.5).ToString("F2", CultureInfo.InvariantCulture) + "|" + new DateTime(2020, 1, 2).ToString(CultureInfo.InvariantCulture))`, "fffffffe|1.50|01/02/2020 00:00:00"},
		{`@(DateTime.ParseExact("2020-01-02", new[] { "yyyy-MM-ddTHH:mmK", "yyyy-MM-dd" }, CultureInfo.InvariantCulture, DateTimeStyles.None).ToFileTimeUtc())`, "132223968000000000"},
	} {
		got, err, _ := csRun(t, tc.src, nil)
		if err != nil || show(got) != tc.want {
			t.Errorf("%s = %v, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(int.Parse("1.5", NumberStyles.Float))`, "Value was either too large or too small for an Int32."},
		{`@(byte.Parse("0x1", NumberStyles.HexNumber))`, "The input string '0x1' was not in a correct format."},
		{`@(decimal.Parse("1", NumberStyles.HexNumber))`, "The number styles AllowHexSpecifier and AllowBinarySpecifier are not supported on floating point data types."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
	_, _, errs := csCompile(t, `@(DateTime.ParseExact("2020", "Mdyyyy", null))`)
	if len(errs) == 0 || !strings.Contains(errs.Error(), "cs.xml:1:53: ") || !strings.Contains(errs.Error(), "the format 'Mdyyyy' is not supported by DateTime.ParseExact") {
		t.Errorf("ParseExact with an unreadable literal format: %v", errs)
	}
}
