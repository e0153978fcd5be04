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
