package engine

import (
	"strings"
	"testing"
)

// TestCSharpDecimal: decimal in policy expressions, through the engine: a
// result is its ToString() (scale kept), a number read from the request
// body converts as Json.NET's (decimal) does, and a decimal stored in a
// variable reads back as one.
func TestCSharpDecimal(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`@(1.50m + 1)`, "2.50"},
		{`@((decimal)context.Request.Body.As<JObject>(preserveContent: true)["ratio"] * 2m)`, "1.0"},
		{`@(context.Request.Body.As<JObject>(preserveContent: true)["age"].Value<decimal>() / 8)`, "4.5"},
		{`@(context.Variables.GetValueOrDefault<decimal>("missing", 1.50m))`, "1.50"},
		{`@(context.Variables.GetValueOrDefault<decimal>("missing"))`, "0"},
		{`@(decimal.Round(2.345m, 2, MidpointRounding.ToEven).ToString("F3"))`, "2.340"},
		{`@{ decimal sum = 0; foreach (var t in new[] { "1.10", "2.205" }) { sum += decimal.Parse(t, CultureInfo.InvariantCulture); } return sum; }`, "3.305"},
		{`@(new JObject(new JProperty("total", 3m)).ToString(Newtonsoft.Json.Formatting.None))`, `{"total":3.0}`},
	} {
		v, err, _ := csRun(t, tc.src, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
		} else if got := show(v); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.src, got, tc.want)
		}
	}
	_, err, _ := csRun(t, `@((decimal)context.Variables["f"])`, nil) // a boxed double does not unbox to decimal
	if err == nil || !strings.HasSuffix(err.Error(), "Unable to cast object of type 'System.Double' to type 'System.Decimal'.") {
		t.Errorf("unboxing a double as decimal: %v", err)
	}
	if _, _, errs := csCompile(t, `@(1.5m + 1.0)`); len(errs) == 0 {
		t.Error("decimal + double loaded")
	}
}

// TestCSharpDecimalParseHugeExponent: decimal.Parse of a number whose
// exponent puts every digit far past 28 places gives the zero a moderate
// one gives ("1e-40"), without building 10^35555555300 first (FuzzDecimal
// found the parse taking the process's time and memory: a request's
// text reaching decimal.Parse(s, NumberStyles.Float) could do that).
func TestCSharpDecimalParseHugeExponent(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`decimal.Parse("1e-40", NumberStyles.Float).ToString()`, "0.0000000000000000000000000000"},
		{`decimal.Parse("-1e-35555555300", NumberStyles.Float).ToString()`, "0.0000000000000000000000000000"},
		{`decimal.Parse("123456789e-2147483000", NumberStyles.Float) == 0m`, "true"},
		{`decimal.Parse("6e-29", NumberStyles.Float).ToString()`, "0.0000000000000000000000000001"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
}
