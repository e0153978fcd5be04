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
