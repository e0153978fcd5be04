package engine

import (
	"strings"
	"testing"
)

// TestCSharpSnippetGaps: expressions from Microsoft's public APIM policy
// snippets (Azure/api-management-policy-snippets) that tollgate did not load;
// the expected values are .NET's.
func TestCSharpSnippetGaps(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		// "Random load balancer": new Random(context.RequestId.GetHashCode())
		{`Guid.Parse("00010203-0405-0607-0809-0a0b0c0d0e0f").GetHashCode()`, "33686018"},
		{`Guid.Parse("ffffffff-0000-0000-0000-000000000000").GetHashCode()`, "-1"},
		{`Guid.Empty.GetHashCode()`, "0"},
		{`new Random(context.RequestId.GetHashCode()).Next(1, 3) < 3`, "true"},
		// "Check inbound IP is in the AFD service tag range": DeserializeObject<List<string>>
		{`string.Join("|", Newtonsoft.Json.JsonConvert.DeserializeObject<List<string>>("[\"10.0.0.0/8\", \"172.16.0.0/12\"]"))`, "10.0.0.0/8|172.16.0.0/12"},
		{`JsonConvert.DeserializeObject<List<string>>("[1, 1.5, true, null, \"a\"]").Select(x => x ?? "null").Aggregate((a, b) => a + "|" + b)`, "1|1.5|True|null|a"},
		{`JsonConvert.DeserializeObject<int[]>("[1, 2, \"3\"]").Sum()`, "6"},
		{`JsonConvert.DeserializeObject<IEnumerable<double>>("[1, 2.5]").Sum()`, "3.5"},
		{`JsonConvert.DeserializeObject<List<bool>>("[true, \"False\"]").Count(b => b)`, "1"},
		{`JsonConvert.DeserializeObject<List<string>>("null") == null`, "true"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(JsonConvert.DeserializeObject<List<string>>("{\"a\": 1}").Count)`, "requires a JSON array"},
		{`@(JsonConvert.DeserializeObject<List<int>>("[null]").Count)`, "Error converting value {null} to type 'System.Int32'. Path '[0]'."},
		{`@(JsonConvert.DeserializeObject<List<int>>("[3000000000]").Count)`, "Error converting value 3000000000 to type 'System.Int32'"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpSnippetCertificate: "Get OAuth2 access token from AAD using a
// certificate from Key Vault" signs its client assertion with
// certificate.GetRSAPrivateKey() as RSACng and puts GetCertHash() in the
// header's kid.
func TestCSharpSnippetCertificate(t *testing.T) {
	_, pfx, der, _ := signingCert(t)
	vars := func(s *State) {
		s.Variables()["pfx"], s.Variables()["der"] = pfx, der
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ X509Certificate2 certificate = new X509Certificate2(Convert.FromBase64String((string)context.Variables["der"]), (string)null);
			RSACng rsa = certificate.GetRSAPrivateKey() as RSACng;
			char pad = '=';
			string kid = Convert.ToBase64String(certificate.GetCertHash()).Split(pad)[0].Replace('+', '-').Replace('/', '_');
			return (rsa == null) + "|" + kid.Length + "|" + (BitConverter.ToString(certificate.GetCertHash()).Replace("-", "") == certificate.Thumbprint) + "|" + (certificate.GetCertHashString() == certificate.Thumbprint); }`, "True|27|True|True"},
		{`@{ var cert = new X509Certificate2(Convert.FromBase64String((string)context.Variables["pfx"]), "pw");
			RSACng rsa = cert.GetRSAPrivateKey() as RSACng;
			const uint Life = 60 * 20;
			DateTime validFrom = DateTime.UtcNow;
			var exp = ((DateTimeOffset)(validFrom + TimeSpan.FromSeconds(Life))).ToUnixTimeSeconds() - ((DateTimeOffset)validFrom).ToUnixTimeSeconds();
			var claims = new Dictionary<string, string>() { { "exp", exp.ToString() } };
			return rsa.SignData(Encoding.UTF8.GetBytes(JObject.FromObject(claims).ToString()), HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1).Length + "|" + exp; }`, "256|1200"},
	} {
		v, err, _ := csRun(t, tc.src, vars)
		if err != nil || show(v) != tc.want {
			t.Errorf("%s: %v %v, want %q", tc.src, show(v), err, tc.want)
		}
	}
}

// TestCSharpSnippetGapsSecondPass: the Snippets/ folder and the remaining
// examples of the same repository; expected values are .NET's.
func TestCSharpSnippetGapsSecondPass(t *testing.T) {
	// "Add correlation id to inbound request": a COMB Guid built with
	// Array.Copy, (byte) casts in an unchecked block and new Guid(byte[]).
	const comb = `var guidBinary = new byte[16];
		Array.Copy(Guid.Parse("00010203-0405-0607-0809-0a0b0c0d0e0f").ToByteArray(), 0, guidBinary, 0, 10);
		long time = 0x0123456789ABCDEF;
		byte[] bytes = new byte[8];
		unchecked { bytes[7] = (byte)(time >> 56); bytes[6] = (byte)(time >> 48); bytes[5] = (byte)(time >> 40); bytes[4] = (byte)(time >> 32);
			bytes[3] = (byte)(time >> 24); bytes[2] = (byte)(time >> 16); bytes[1] = (byte)(time >> 8); bytes[0] = (byte)(time); }
		Array.Copy(bytes, 0, guidBinary, 8, 6);
		return new Guid(guidBinary).ToString();`
	csBothBlocks(t, comb, "00010203-0405-0607-efcd-ab8967450000", nil)
	for _, tc := range []struct{ stmts, want string }{
		{`int x = 300; long y = -1; return (byte)x + "," + (byte)y + "," + (Byte)(x * 2) + "," + (System.Byte)(y - 1);`, "44,255,88,254"},
		{`int n = 0; unchecked { n += 2; } return unchecked(n * 3);`, "6"},
		{`var b = new byte[] { 1, 200, 0 }; return string.Join(",", b) + "|" + string.Join("-", Encoding.UTF8.GetBytes("AB"));`, "1,200,0|65-66"},
		{`var a = new int[] { 1, 2, 3, 4 }; Array.Copy(a, 0, a, 1, 3); return string.Join(",", a);`, "1,1,2,3"},
		{`var a = new byte[] { 1, 200 }; var b = new int[3]; Array.Copy(a, b, 2); return string.Join(",", b);`, "1,200,0"},
		{`var s = new[] { "a", "b", "c" }; var d = new string[2]; Array.Copy(s, 1, d, 0, 2); return string.Join("|", d);`, "b|c"},
		{`try { Array.Copy(new byte[4], 0, new byte[16], 0, 10); return "copied"; } catch (ArgumentException e) { return e.Message; }`,
			"Source array was not long enough. Check the source index, length, and the array's lower bounds. (Parameter 'sourceArray')"},
		{`try { Array.Copy(new byte[4], 0, new byte[2], 1, 2); return "copied"; } catch (ArgumentException e) { return e.Message; }`,
			"Destination array was not long enough. Check the destination index, length, and the array's lower bounds. (Parameter 'destinationArray')"},
		{`try { Array.Copy(new byte[4], 0, new byte[4], 0, -1); return "copied"; } catch (ArgumentOutOfRangeException e) { return e.Message; }`,
			"Non-negative number required. (Parameter 'length')"},
		{`try { Array.Copy(new int[] { 1 }, new byte[1], 1); return "copied"; } catch (ArrayTypeMismatchException e) { return e.Message; }`,
			"Source array type cannot be assigned to destination array type."},
		{`try { return new Guid(new byte[3]).ToString(); } catch (ArgumentException e) { return e.Message; }`,
			"Byte array for Guid must be exactly 16 bytes long. (Parameter 'b')"},
	} {
		csBothBlocks(t, tc.stmts, tc.want, nil)
	}
	for _, tc := range []struct{ src, want string }{
		// "Pre-authorize requests based on HTTP method with validate-jwt":
		// Contains(value, StringComparer.OrdinalIgnoreCase)
		{`new [] {"post", "put"}.Contains("PUT", StringComparer.OrdinalIgnoreCase)`, "true"},
		{`new [] {"post", "put"}.Contains("PUT", System.StringComparer.Ordinal)`, "false"},
		{`new List<string> { "a" }.Contains("A", StringComparer.InvariantCultureIgnoreCase)`, "true"},
		{`new [] {"post", "put"}.Contains("patch", StringComparer.OrdinalIgnoreCase)`, "false"},
		{`new Guid("00010203-0405-0607-0809-0a0b0c0d0e0f").ToByteArray()[0]`, "3"},
	} {
		csBothPaths(t, tc.src, tc.want, nil)
	}
}
