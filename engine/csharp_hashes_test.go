package engine

import (
	"strings"
	"testing"
)

// HashAlgorithm.Create, HMAC.Create, KeyedHashAlgorithm.Create, the
// SHA*Managed classes, SHA384 and HMACSHA384, which APIM's "API Management
// policy expressions" allows. The digests are the published test vectors
// (FIPS 180's "abc"; RFC 4231's and Wikipedia's HMAC examples); the
// defaults and class names are .NET Framework 4.x's (CryptoConfig).
func TestCSharpHashAlgorithmFactories(t *testing.T) {
	const abc = `Encoding.UTF8.GetBytes("abc")`
	const fox = `Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog")`
	for _, tc := range []struct{ name, stmts, want string }{
		{"HashAlgorithm.Create(name)", `return Convert.ToBase64String(HashAlgorithm.Create("SHA256").ComputeHash(` + abc + `));`, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
		{"names ignore case; SHA-384", `return BitConverter.ToString(HashAlgorithm.Create("sha-384").ComputeHash(` + abc + `)).Substring(0, 23);`, "CB-00-75-3F-45-A3-5E-8B"},
		{"HashAlgorithm.Create() is SHA1", `var h = HashAlgorithm.Create(); return h + " " + h.HashSize + " " + BitConverter.ToString(h.ComputeHash(` + abc + `)).Substring(0, 11);`, "System.Security.Cryptography.SHA1CryptoServiceProvider 160 A9-99-3E-36"},
		{"the classes Create gives", `return HashAlgorithm.Create("MD5") + " " + HashAlgorithm.Create("System.Security.Cryptography.SHA512") + " " + SHA256.Create() + " " + HashAlgorithm.Create("HMACSHA256");`,
			"System.Security.Cryptography.MD5CryptoServiceProvider System.Security.Cryptography.SHA512Managed System.Security.Cryptography.SHA256Managed System.Security.Cryptography.HMACSHA256"},
		{"an unknown name gives null", `return (HashAlgorithm.Create("nope") == null) + " " + (HMAC.Create("nope") == null);`, "True True"},
		{"HMAC.Create(name) with a key set", `var h = HMAC.Create("HMACSHA256"); h.Key = Encoding.UTF8.GetBytes("key"); return Convert.ToBase64String(h.ComputeHash(` + fox + `));`, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="},
		{"KeyedHashAlgorithm.Create and HMAC.Create() default to HMACSHA1 with a random key", `var k = KeyedHashAlgorithm.Create(); var h = HMAC.Create(); return k + " " + k.Key.Length + " " + h.HashSize + " " + (Convert.ToBase64String(k.Key) != Convert.ToBase64String(h.Key));`,
			"System.Security.Cryptography.HMACSHA1 64 160 True"},
		{"HMACSHA384 and HMACSHA512 keys are 128 bytes", `return new HMACSHA384().Key.Length + " " + HMAC.Create("HMACSHA512").Key.Length + " " + new HMACSHA256().Key.Length;`, "128 128 64"},
		{"HMACSHA384 (RFC 4231 test 2)", `return BitConverter.ToString(new HMACSHA384(Encoding.UTF8.GetBytes("Jefe")).ComputeHash(Encoding.UTF8.GetBytes("what do ya want for nothing?"))).Replace("-", "").Substring(0, 32);`, "AF45D2E376484031617F78D2B58A6B1B"},
		{"SHA*Managed", `return Convert.ToBase64String(new SHA256Managed().ComputeHash(` + abc + `)) + " " + new SHA1Managed() + " " + SHA512Managed.Create() + " " + new SHA384Managed().HashSize;`,
			"ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0= System.Security.Cryptography.SHA1Managed System.Security.Cryptography.SHA512Managed 384"},
		{"SHA384.Create and HashData", `return BitConverter.ToString(SHA384.Create().ComputeHash(new byte[0])).Substring(0, 11) + SHA384.HashData(new byte[0]).Length;`, "38-B0-60-A748"},
		{"ComputeHash(buffer, offset, count)", `var b = Encoding.UTF8.GetBytes("xabcx"); return Convert.ToBase64String(SHA256.Create().ComputeHash(b, 1, 3));`, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
		{"an HMAC is a HashAlgorithm; the cast back", `HashAlgorithm h = new HMACSHA256(Encoding.UTF8.GetBytes("key")); var k = (HMAC)h; return k.Key.Length + " " + k.HashName + " " + h.ComputeHash(new byte[1], 0, 1).Length;`, "3 SHA256 32"},
		{"the documented HMAC example's key initializer", `var h = new HMACSHA256 { Key = Encoding.UTF8.GetBytes("key") }; return Convert.ToBase64String(h.ComputeHash(` + fox + `));`, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@(HMAC.Create("SHA256") == null)`, "Unable to cast object of type 'System.Security.Cryptography.SHA256Managed' to type 'System.Security.Cryptography.HMAC'."},
		{`@(KeyedHashAlgorithm.Create("MD5") == null)`, "Unable to cast object of type 'System.Security.Cryptography.MD5CryptoServiceProvider' to type 'System.Security.Cryptography.KeyedHashAlgorithm'."},
		{`@(HashAlgorithm.Create("RIPEMD160") == null)`, "the hash algorithm 'RIPEMD160' is not supported by tollgate"},
		{`@{ string n = null; return HashAlgorithm.Create(n) == null; }`, "Value cannot be null."},
		{`@{ HashAlgorithm h = null; return h.ComputeHash(new byte[1]).Length; }`, "Object reference not set to an instance of an object."},
		{`@{ var h = SHA256.Create(); return h.ComputeHash(new byte[1], 1, 1).Length; }`, "Offset and length were out of bounds"},
		{`@{ var h = SHA256.Create(); return h.ComputeHash(new byte[1], -1, 1).Length; }`, "Non-negative number required. (Parameter 'offset')"},
		{`@{ var h = SHA256.Create(); return h.ComputeHash(new byte[1], 0, 2).Length; }`, "Value was invalid."},
		{`@{ HashAlgorithm h = SHA256.Create(); var k = (HMAC)h; return 1; }`, "Unable to cast object of type 'System.Security.Cryptography.SHA256Managed' to type 'System.Security.Cryptography.HMAC'."},
		{`@{ var h = new HMACSHA256(); byte[] k = null; h.Key = k; return 1; }`, "Value cannot be null."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var h = SHA256.Create(); h.Key = new byte[1]; return 1; }`, "'HashAlgorithm' does not contain a definition for 'Key'"},
		{`@{ HMAC k = SHA256.Create(); return 1; }`, "cannot implicitly convert type 'HashAlgorithm' to 'HMAC'"},
		{`@(HashAlgorithm.Create(1))`, "cannot convert from 'int' to 'string'"},
		{`@{ var h = HMAC.Create(); h.Key = "k"; return 1; }`, "cannot implicitly convert type 'string' to 'byte[]'"},
		{`@(new SHA256Managed(new byte[1]))`, "no overload for method 'SHA256Managed' takes 1 arguments"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
