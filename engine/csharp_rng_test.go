package engine

import (
	"strings"
	"testing"
)

// RNGCryptoServiceProvider and RandomNumberGenerator, which APIM's "API
// Management policy expressions" allows: GetBytes fills the array it is
// given, in place, from the system's cryptographic generator.
func TestCSharpRandomNumberGenerator(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"GetBytes fills the buffer", `var a = new byte[32]; var b = new byte[32]; new RNGCryptoServiceProvider().GetBytes(a); RandomNumberGenerator.Create().GetBytes(b); return Convert.ToBase64String(a) != Convert.ToBase64String(b) && Convert.ToBase64String(a) != Convert.ToBase64String(new byte[32]);`, "true"},
		{"GetNonZeroBytes", `var b = new byte[512]; using (var r = RandomNumberGenerator.Create()) { r.GetNonZeroBytes(b); } foreach (var x in b) { if (x == 0) return "zero"; } return "ok";`, "ok"},
		{"GetBytes(data, offset, count)", `var b = new byte[64]; RandomNumberGenerator.Create().GetBytes(b, 1, 62); return b[0] + b[63];`, "0"},
		{"a literal array is filled anew each run", `var b = new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }; var before = Convert.ToBase64String(b); new RNGCryptoServiceProvider().GetBytes(b); return before;`, "AAAAAAAAAAAAAAAAAAAAAA=="},
		{"the documented nonce pattern", `using (var rng = new RNGCryptoServiceProvider()) { var nonce = new byte[16]; rng.GetBytes(nonce); return Convert.ToBase64String(nonce).Length; }`, "24"},
		{"Create(name) and its class", `return RandomNumberGenerator.Create("System.Security.Cryptography.RandomNumberGenerator").ToString() + " " + (RandomNumberGenerator.Create("Foo") == null);`, "System.Security.Cryptography.RNGCryptoServiceProvider True"},
		{"a declared and cast generator", `RandomNumberGenerator r = new RNGCryptoServiceProvider(); object o = r; var b = new byte[1]; ((RNGCryptoServiceProvider)o).GetBytes(b); return b.Length;`, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	csRunTwice(t, `@{ var b = new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }; var before = Convert.ToBase64String(b); new RNGCryptoServiceProvider().GetBytes(b); return before; }`, "AAAAAAAAAAAAAAAAAAAAAA==")
	for _, tc := range []struct{ src, want string }{
		{`@{ byte[] b = null; new RNGCryptoServiceProvider().GetBytes(b); return 1; }`, "Value cannot be null. (Parameter 'data')"},
		{`@{ RandomNumberGenerator r = null; r.GetBytes(new byte[1]); return 1; }`, "Object reference not set to an instance of an object."},
		{`@{ var b = new byte[4]; RandomNumberGenerator.Create().GetBytes(b, 2, 3); return 1; }`, "Offset and length were out of bounds"},
		{`@{ var b = new byte[4]; RandomNumberGenerator.Create().GetBytes(b, -1, 1); return 1; }`, "Non-negative number required. (Parameter 'offset')"},
		{`@{ object o = "x"; return ((RandomNumberGenerator)o).ToString(); }`, "Unable to cast object of type 'System.String' to type 'System.Security.Cryptography.RandomNumberGenerator'."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ new RNGCryptoServiceProvider().GetBytes("x"); return 1; }`, "cannot convert from 'string' to 'byte[]'"},
		{`@{ new RNGCryptoServiceProvider().GetBytes(new int[2]); return 1; }`, "cannot convert from 'int[]' to 'byte[]'"},
		{`@(new RNGCryptoServiceProvider().GetBytes(new byte[2]))`, "void"},
		{`@(new RNGCryptoServiceProvider().NextBytes(new byte[2]))`, "'RandomNumberGenerator' does not contain a definition for 'NextBytes'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
