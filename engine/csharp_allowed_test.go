package engine

import (
	"strings"
	"testing"
)

// APIM's table of allowed .NET types limits System.Net.IPAddress to
// AddressFamily, Equals, GetAddressBytes, IsLoopback, Parse, TryParse and
// ToString: those run, the rest of the class is a load error saying so.
func TestCSharpIPAddressAllowedMembers(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`IPAddress.Parse("10.1.2.3").AddressFamily.ToString()`, "InterNetwork"},
		{`IPAddress.Parse("2001:db8::1").AddressFamily.ToString()`, "InterNetworkV6"},
		{`IPAddress.Parse("2001:DB8::1").Equals(IPAddress.Parse("2001:db8::1"))`, "true"},
		{`IPAddress.Parse("10.0.0.7").GetAddressBytes().Length + IPAddress.Parse("::1").GetAddressBytes().Length`, "20"},
		{`IPAddress.IsLoopback(IPAddress.Parse("127.0.0.2")) && IPAddress.IsLoopback(IPAddress.Parse("::1")) && !IPAddress.IsLoopback(IPAddress.Parse("10.0.0.1"))`, "true"},
		{`IPAddress.TryParse("10.0.0.1", out IPAddress ip) ? ip.ToString() : "no"`, "10.0.0.1"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	const only = "APIM's table of allowed types lists only AddressFamily, Equals, GetAddressBytes, IsLoopback, Parse, TryParse and ToString of IPAddress"
	for _, tc := range []struct{ src, want string }{
		{`@(new IPAddress(new byte[] {10, 0, 0, 1}).ToString())`, "'new IPAddress(...)' is not allowed in policy expressions (" + only},
		{`@(IPAddress.Loopback.ToString())`, `'IPAddress.Loopback' is not allowed in policy expressions (` + only + `: write IPAddress.Parse("127.0.0.1"))`},
		{`@(IPAddress.Any.ToString())`, `write IPAddress.Parse("0.0.0.0")`},
		{`@(IPAddress.IPv6Loopback.ToString())`, `write IPAddress.Parse("::1")`},
		{`@(IPAddress.Parse("::ffff:10.1.2.3").MapToIPv4().ToString())`, only + ": compare GetAddressBytes() instead"},
		{`@(IPAddress.Parse("10.1.2.3").MapToIPv6().ToString())`, only},
		{`@(IPAddress.Parse("::ffff:10.1.2.3").IsIPv4MappedToIPv6)`, only},
		{`@(IPAddress.NetworkToHostOrder(1))`, only},
		{`@(IPAddress.Parse("10.1.2.3").AddressFamily == AddressFamily.InterNetwork)`, "the type 'AddressFamily' is not allowed in policy expressions (APIM's table of allowed types lists IPAddress's AddressFamily property, not the AddressFamily enum"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}

// Small members of types APIM's table lists with "All" that tollgate
// lacked: Math's constants, trigonometric and hyperbolic functions,
// Log(a, newBase) with .NET's special cases, IEEERemainder, BigMul;
// char.MinValue and MaxValue; bool.TrueString and FalseString; Uri's
// scheme names; decimal.Truncate, Floor, Ceiling, Negate; TimeSpan.TryParse;
// Match.Empty.
func TestCSharpAllowedSmallMembers(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Math.Round(Math.PI, 5) + " " + Math.Round(Math.E, 5)`, "3.14159 2.71828"},
		{`Math.PI == Math.Acos(-1) && Math.PI / 2 == Math.Asin(1) && Math.PI / 4 == Math.Atan(1) && Math.Atan2(1, 1) == Math.PI / 4`, "true"},
		{`Math.Sin(0) + Math.Cos(0) + Math.Tan(0) + Math.Sinh(0) + Math.Cosh(0) + Math.Tanh(0)`, "2"},
		{`Math.Log(8, 2) + " " + double.IsNaN(Math.Log(2, 1)) + " " + Math.Log(1, 0) + " " + double.IsNaN(Math.Log(2, 0))`, "3 True -0 True"}, // 0 / log(0): -0, printed as tollgate prints a double
		{`Math.IEEERemainder(3, 2) + " " + Math.IEEERemainder(10, 3) + " " + Math.BigMul(int.MaxValue, 2)`, "-1 1 4294967294"},
		{`(int)char.MaxValue + " " + (int)char.MinValue + " " + bool.TrueString + bool.FalseString`, "65535 0 TrueFalse"},
		{`Uri.UriSchemeHttps + Uri.SchemeDelimiter + "a" + " " + (new Uri("http://a/").Scheme == Uri.UriSchemeHttp)`, "https://a True"},
		{`decimal.Truncate(-1.5m) + " " + decimal.Floor(-1.5m) + " " + decimal.Ceiling(1.2m) + " " + decimal.Negate(2m)`, "-1 -2 2 -2"},
		{`TimeSpan.TryParse("01:30", out var ts) + " " + ts.TotalMinutes + " " + TimeSpan.TryParse("x", out var bad) + " " + bad`, "True 90 False 00:00:00"},
		{`X509ContentType.Cert + " " + (int)X509ContentType.Pkcs12 + " " + (X509ContentType.Pkcs12 == X509ContentType.Pfx) + " " + Enum.Parse(typeof(X509ContentType), "pkcs12", true) + " " + (int)X509ContentType.Authenticode`, "Cert 3 True Pfx 6"},
		{`Match.Empty.Success + " " + (Regex.Match("a", "b").Value == Match.Empty.Value) + " " + Match.Empty.Index`, "False True 0"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
	// Random.NextBytes fills the array in place; the same seed, the same bytes
	csBothBlocks(t, `var a = new byte[64]; var b = new byte[64]; new Random(7).NextBytes(a); new Random(7).NextBytes(b); return a.SequenceEqual(b) + " " + a.Any(x => x != 0);`, "True True", nil)
	if _, err, _ := csRun(t, `@{ new Random().NextBytes(null); return "x"; }`, nil); err == nil || !strings.Contains(err.Error(), "Value cannot be null. (Parameter 'buffer')") {
		t.Errorf("NextBytes(null): %v", err)
	}
}
