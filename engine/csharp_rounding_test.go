package engine

import (
	"strings"
	"testing"
)

// System.MidpointRounding with Math.Round and decimal.Round, and
// Uri.GetLeftPart with System.UriPartial, which APIM's "API Management
// policy expressions" allows ("All" members). The results are .NET's:
// Math.Round(value, digits, mode) scales by 10^digits, rounds and scales
// back, so 1.005 rounds to 1 (its double is 1.00499999999999989...).
func TestCSharpMidpointRoundingUriPartial(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`Math.Round(2.5, MidpointRounding.AwayFromZero)`, "3"},
		{`Math.Round(-2.5, MidpointRounding.AwayFromZero)`, "-3"},
		{`Math.Round(2.5, MidpointRounding.ToEven)`, "2"},
		{`Math.Round(3.5, MidpointRounding.ToEven)`, "4"},
		{`Math.Round(2.4, MidpointRounding.AwayFromZero)`, "2"},
		{`Math.Round(2.45, 1, MidpointRounding.AwayFromZero)`, "2.5"},
		{`Math.Round(2.45, 1, MidpointRounding.ToEven)`, "2.4"},
		{`Math.Round(1.005, 2, MidpointRounding.AwayFromZero)`, "1"},
		{`Math.Round(-2.7, MidpointRounding.ToZero)`, "-2"},
		{`Math.Round(2.1, MidpointRounding.ToPositiveInfinity)`, "3"},
		{`Math.Round(-2.1, MidpointRounding.ToNegativeInfinity)`, "-3"},
		{`Math.Round(1e17 + 0.5, 2, MidpointRounding.AwayFromZero) == 1e17`, "true"},
		{`decimal.Round(2.5m, MidpointRounding.AwayFromZero)`, "3"},
		{`decimal.Round(2.25m, 1, MidpointRounding.ToEven)`, "2.2"},
		{`Math.Round(12.5m, 0, MidpointRounding.AwayFromZero)`, "13"},
		{`MidpointRounding.AwayFromZero.ToString() + (int)MidpointRounding.ToZero + MidpointRounding.ToEven`, "AwayFromZero2ToEven"},
		{`(MidpointRounding)1 == MidpointRounding.AwayFromZero`, "true"},
		{`((MidpointRounding)9).ToString()`, "9"},
		{`new Uri("HTTP://User:pw@Example.COM:80/a%20b/c?x=1#f").GetLeftPart(UriPartial.Scheme)`, "http://"},
		{`new Uri("HTTP://User:pw@Example.COM:80/a%20b/c?x=1#f").GetLeftPart(UriPartial.Authority)`, "http://User:pw@example.com"},
		{`new Uri("https://Example.COM:8443/a%20b/c?x=1#f").GetLeftPart(UriPartial.Path)`, "https://example.com:8443/a%20b/c"},
		{`new Uri("https://example.com?x=1#f").GetLeftPart(UriPartial.Query)`, "https://example.com/?x=1"},
		{`new Uri("https://example.com").GetLeftPart(UriPartial.Path)`, "https://example.com/"},
		{`new Uri("http://[::1]:8080/p").GetLeftPart(UriPartial.Authority)`, "http://[::1]:8080"},
		{`new Uri("https://api.contoso.example/orders/1?x=1").GetLeftPart(UriPartial.Path) + " " + UriPartial.Query + (int)UriPartial.Path`, "https://api.contoso.example/orders/1 Query2"},
	} {
		t.Run(tc.text, func(t *testing.T) { csBothPaths(t, tc.text, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Math.Round(2.5, (MidpointRounding)7))`, "The value '7' is not valid for this usage of the type MidpointRounding. (Parameter 'mode')"},
		{`@(Math.Round(2.5, 16, MidpointRounding.ToEven))`, "Rounding digits must be between 0 and 15, inclusive. (Parameter 'digits')"},
		{`@(Math.Round(2.5, -1, MidpointRounding.AwayFromZero))`, "Rounding digits must be between 0 and 15, inclusive."},
		{`@(new Uri("http://a/p").GetLeftPart((UriPartial)9))`, "The part parameter contains an invalid UriPartial value."},
		{`@{ Uri u = null; return u.GetLeftPart(UriPartial.Path); }`, "Object reference not set to an instance of an object."},
		{`@{ object o = "x"; return (MidpointRounding)o; }`, "Unable to cast object of type 'System.String' to type 'System.MidpointRounding'."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@(Math.Round(2.5, UriPartial.Path))`, "cannot convert from 'UriPartial' to 'int'"},
		{`@(new Uri("http://a/p").GetLeftPart(2))`, "cannot convert from 'int' to 'UriPartial'"},
		{`@(new Uri("http://a/p").GetLeftPart(MidpointRounding.ToEven))`, "cannot convert from 'MidpointRounding' to 'UriPartial'"},
		{`@{ MidpointRounding m = 1; return m; }`, "cannot implicitly convert type 'int' to 'MidpointRounding'"},
		{`@(MidpointRounding.Up)`, "'MidpointRounding' does not contain a definition for 'Up'"},
		{`@(Math.Round("2.5", MidpointRounding.ToEven))`, "cannot convert from 'string' to 'double'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
