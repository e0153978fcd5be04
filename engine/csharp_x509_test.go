package engine

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"software.sslmate.com/src/go-pkcs12"
)

// signingCert is a self-signed RSA certificate with its key, as PFX
// (password "pw"), DER and the key as PKCS #8 PEM.
func signingCert(t *testing.T) (key *rsa.PrivateKey, pfx, der, keyPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x2a), Subject: pkix.Name{CommonName: "tollgate signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(raw)
	p, err := pkcs12.Modern.Encode(key, c, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	k8, _ := x509.MarshalPKCS8PrivateKey(key)
	return key, base64.StdEncoding.EncodeToString(p), base64.StdEncoding.EncodeToString(raw),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k8}))
}

// TestCSharpX509AndRSA: a certificate from a named value (PFX with its
// key, or DER), its members, and RSA signatures a backend can check:
// the pattern of policies that sign a JWT for their backend.
func TestCSharpX509AndRSA(t *testing.T) {
	key, pfx, der, keyPEM := signingCert(t)
	vars := func(s *State) {
		s.Variables()["pfx"], s.Variables()["der"], s.Variables()["pem"] = pfx, der, keyPEM
	}
	const load = `var cert = new X509Certificate2(Convert.FromBase64String((string)context.Variables["pfx"]), "pw"); `
	for _, tc := range []struct{ src, want string }{
		{load + `return cert.HasPrivateKey + "|" + cert.Subject + "|" + cert.Thumbprint.Length + "|" + cert.SerialNumber + "|" + (cert.NotAfter > DateTime.UtcNow) + "|" + cert.NotBefore.Kind;`, "True|CN=tollgate signer|40|2A|True|Local"},
		{`var cert = new X509Certificate2(Convert.FromBase64String((string)context.Variables["der"])); return cert.HasPrivateKey + "|" + (cert.GetRSAPrivateKey() == null) + "|" + cert.GetRSAPublicKey().KeySize;`, "False|True|2048"},
		{load + `var data = Encoding.UTF8.GetBytes("payload"); var sig = cert.GetRSAPrivateKey().SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
			return cert.GetRSAPublicKey().VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) + "|" + cert.GetRSAPublicKey().VerifyData(Encoding.UTF8.GetBytes("other"), sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);`, "True|False"},
		{load + `var data = Encoding.UTF8.GetBytes("payload"); var sig = cert.GetRSAPrivateKey().SignData(data, HashAlgorithmName.SHA512, RSASignaturePadding.Pss);
			return cert.GetRSAPublicKey().VerifyData(data, sig, HashAlgorithmName.SHA512, RSASignaturePadding.Pss);`, "true"},
		{`RSA rsa = RSA.Create(); rsa.ImportFromPem((string)context.Variables["pem"]); return rsa.KeySize;`, "2048"},
		{`X509Certificate2 c = new System.Security.Cryptography.X509Certificates.X509Certificate2(Convert.FromBase64String((string)context.Variables["der"])); return c.Subject;`, "CN=tollgate signer"},
	} {
		csBothBlocks(t, tc.src, tc.want, vars)
	}

	// A JWT signed RS256 in the policy checks with the certificate's key.
	v, err, _ := csRun(t, `@{
		var cert = new X509Certificate2(Convert.FromBase64String((string)context.Variables["pfx"]), "pw");
		string b64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
		var header = b64(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"));
		var payload = b64(Encoding.UTF8.GetBytes(new JObject(new JProperty("sub", "gateway"), new JProperty("exp", 4102444800)).ToString(Formatting.None)));
		var sig = cert.GetRSAPrivateKey().SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
		return header + "." + payload + "." + b64(sig);
	}`, vars)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Parse(show(v), func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("token %q: %v", show(v), err)
	}
	if sub, _ := tok.Claims.GetSubject(); sub != "gateway" {
		t.Errorf("sub %q", sub)
	}
	// A signature made with the imported PEM key checks in Go.
	v, err, _ = csRun(t, `@{ var rsa = RSA.Create(); rsa.ImportFromPem((string)context.Variables["pem"]);
		return Convert.ToBase64String(rsa.SignData(Encoding.UTF8.GetBytes("x"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)); }`, vars)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(show(v))
	d := sha256.Sum256([]byte("x"))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig); err != nil {
		t.Errorf("PEM key signature: %v", err)
	}

	for _, tc := range []struct{ src, msg string }{
		{`@(new X509Certificate2(Convert.FromBase64String((string)context.Variables["pfx"]), "wrong").Subject)`, "The specified network password is not correct."},
		{`@(new X509Certificate2(Encoding.UTF8.GetBytes("not a certificate")).Subject)`, "Cannot find the requested object."},
		{`@(new X509Certificate2(new byte[] {}).Subject)`, "Array may not be empty or null."},
		{`@(new X509Certificate2(Convert.FromBase64String((string)context.Variables["der"])).GetRSAPrivateKey().SignData(new byte[] {1}, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Length)`, "Object reference not set"},
		{`@{ var r = RSA.Create(); r.ImportFromPem("nope"); return 1; }`, "No supported key formats were found"},
		{`@(RSA.Create().SignData(new byte[] {1}, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).Length)`, "does not have a private key"},
	} {
		_, err, _ := csRun(t, tc.src, vars)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpUsingAndSizedArrays: `using` statements and declarations (as
// hashing snippets write them; Dispose is nothing here) and new T[n].
func TestCSharpUsingAndSizedArrays(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`using (var sha256 = SHA256.Create())
    {
        var hash = sha256.ComputeHash(Encoding.UTF8.GetBytes("abc"));
        return BitConverter.ToString(hash).Replace("-", "").ToLower();
    }`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{`using var h = new HMACSHA256(Encoding.UTF8.GetBytes("key")); return Convert.ToBase64String(h.ComputeHash(Encoding.UTF8.GetBytes("m"))).Length.ToString();`, "44"},
		{`using (var a = SHA256.Create()) using (var b = SHA1.Create()) { return a.ComputeHash(new byte[] {1}).Length + "/" + b.ComputeHash(new byte[] {1}).Length; }`, "32/20"},
		{`var s = new string[3]; s[1] = "x"; return (s[0] == null) + "|" + s[1] + "|" + s.Length;`, "True|x|3"},
		{`var n = new int[4]; n[2] = 7; return n.Sum() + "/" + n.Length;`, "7/4"},
		{`var b = new byte[16]; return Convert.ToBase64String(b);`, "AAAAAAAAAAAAAAAAAAAAAA=="},
		{`var c = new string[2] { "a", "b" }; return string.Join(",", c);`, "a,b"},
		{`return string.Join(",", new bool[2]) + "|" + new double[1][0];`, "False,False|0"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@{ var n = -1; var a = new int[n]; return a.Length; }`, "Arithmetic operation resulted in an overflow."},
		{`@(new string[1000000].Length)`, "more than 100000 items"},
		{`@{ using SHA256.Create(); return 1; }`, "a declaration or '(' expected after 'using'"},
		{`@{ var a = new int[2]; a[2] = 1; return a.Length; }`, "Index was outside the bounds of the array."},
		{`@{ var a = new int[2]; a[0] = "x"; return a.Length; }`, "cannot implicitly convert type 'string' to 'int'"},
		{`@{ var a = new int[2]; a[0] += "x"; return a.Length; }`, "operator '+=' cannot be applied to operands of type 'int' and 'string'"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpDeployment: context.Deployment's Gateway and Certificates (by
// thumbprint), as a policy that accepts the certificates uploaded to the
// service writes it.
func TestCSharpDeployment(t *testing.T) {
	_, _, der, _ := signingCert(t)
	raw, _ := base64.StdEncoding.DecodeString(der)
	leaf, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	cert := NewCertificate([]*x509.Certificate{leaf})
	set := func(s *State) {
		s.SetDeployment(&Deployment{GatewayId: "gw-1", ServiceName: "tollgate", Gateway: &GatewayInfo{Id: "gw-1", InstanceId: "host-a"},
			Certificates: map[string]*Certificate{cert.Thumbprint: cert}})
		s.Variables()["tp"] = cert.Thumbprint
	}
	for _, tc := range []struct{ src, want string }{
		{`return context.Deployment.Gateway.Id + "|" + context.Deployment.Gateway.IsManaged + "|" + context.Deployment.Certificates.Count;`, "gw-1|False|1"},
		{`return context.Deployment.Certificates.Any(c => c.Value.Thumbprint == (string)context.Variables["tp"]).ToString();`, "True"},
		{`return context.Deployment.Certificates[(string)context.Variables["tp"]].Subject;`, "CN=tollgate signer"},
	} {
		csBothBlocks(t, tc.src, tc.want, set)
	}
}

// TestCSharpDeploymentCertificateKeys: a certificate uploaded with its
// key is an X509Certificate2 in C#, as APIM types
// context.Deployment.Certificates' values: a policy signs a JWT with
// GetRSAPrivateKey() (pagoPA's production policies do). A client's
// certificate has no key; Go's own methods are not C# members.
func TestCSharpDeploymentCertificateKeys(t *testing.T) {
	key, _, der, _ := signingCert(t)
	raw, _ := base64.StdEncoding.DecodeString(der)
	leaf, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	withKey := NewCertificateWithKey([]*x509.Certificate{leaf}, key)
	set := func(s *State) {
		s.SetDeployment(&Deployment{Certificates: map[string]*Certificate{withKey.Thumbprint: withKey}})
		s.SetClientCertificate([]*x509.Certificate{leaf})
		s.Variables()["tp"] = withKey.Thumbprint
	}
	for _, tc := range []struct{ src, want string }{
		{`var c = context.Deployment.Certificates[(string)context.Variables["tp"]];
			var data = Encoding.UTF8.GetBytes("header.payload");
			var sig = c.GetRSAPrivateKey().SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
			return c.HasPrivateKey + " " + c.GetRSAPublicKey().VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) + " " + (c.RawData.Length > 100) + " " + c.Subject;`,
			"True True True CN=tollgate signer"},
		{`var rsa = context.Deployment.Certificates[(string)context.Variables["tp"]].GetRSAPrivateKey(); return rsa == null ? "none" : "rsa";`, "rsa"},
		{`var c = context.Request.Certificate; return c.HasPrivateKey + " " + (c.GetRSAPrivateKey() == null) + " " + c.GetRSAPublicKey().KeySize;`, "False True 2048"},
	} {
		csBothBlocks(t, tc.src, tc.want, set)
	}
	for _, src := range []string{`@{ var x = context.Request.Certificate.X509Cert(); return "x"; }`, `@{ var x = context.Request.Certificate.X509(); return "x"; }`} {
		if _, _, errs := csCompile(t, src); len(errs) == 0 || !strings.Contains(errs.Error(), "does not contain a definition") {
			t.Errorf("%s: %v, want no such member", src, errs)
		}
	}
	// an expr expression reaches the Go method, and gets an opaque value:
	// its text is the subject, never the key
	v, err, _ := csRun(t, `@(context.Deployment.Certificates[context.Variables["tp"]].X509Cert())`, set)
	if s := fmt.Sprint(v); err != nil || strings.Contains(s, key.D.String()) || !strings.Contains(s, "CN=tollgate signer") {
		t.Errorf("the opaque certificate: %q, %v", s, err)
	}
}

// TestCSharpRegexOptionsAndDates: RegexOptions on Regex's statics (alone
// and combined with |), DateTime.Subtract, and the DateTimeKind
// constructor, as community snippets write them.
func TestCSharpRegexOptionsAndDates(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`return Regex.IsMatch("/API/Users", "^/api/(users|orders)", RegexOptions.IgnoreCase).ToString();`, "True"},
		{`return Regex.IsMatch("/API/Users", "^/api/(users|orders)").ToString();`, "False"},
		{`return Regex.Replace("A1\na2", "^a", "x", RegexOptions.IgnoreCase | RegexOptions.Multiline);`, "x1\nx2"},
		{`return Regex.Match("a\nb", "a.b", RegexOptions.Singleline).Success + "|" + Regex.Match("a\nb", "a.b").Success;`, "True|False"},
		{`return string.Join(",", Regex.Split("aXbxc", "x", RegexOptions.IgnoreCase)) + "|" + Regex.Matches("aAa", "a", RegexOptions.IgnoreCase | RegexOptions.Compiled).Count();`, "a,b,c|3"},
		{`return new DateTime(2024, 3, 1).Subtract(new DateTime(2024, 2, 1)).TotalDays + "|" + new DateTime(2024, 3, 1).Subtract(TimeSpan.FromDays(1)).ToString("yyyy-MM-dd");`, "29|2024-02-29"},
		{`return ((long)(new DateTime(2024, 1, 1, 0, 0, 10, DateTimeKind.Utc) - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds).ToString();`, "1704067210"},
		// A static method named where a lambda goes (a method group).
		{`return "1,2,3".Split(',').Select(int.Parse).Sum().ToString() + "|" + string.Join(",", new[] {"a", "B"}.Select(Uri.EscapeDataString)) + "|" + new[] {"", "x"}.Count(string.IsNullOrEmpty);`, "6|a,B|1"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
}

// TestCSharpJSONMore: the rest of Json.NET's JToken API that community
// snippets use: Children, DeepClone, GetValue, Merge, JTokenType, LINQ on
// a JToken, DeserializeObject<JArray>, SerializeObject with a Formatting.
func TestCSharpJSONMore(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`return JObject.Parse("{\"value\":[{\"id\":1},{\"id\":2}]}")["value"].Children().Count() + "|" + JObject.Parse("{\"a\":1,\"b\":2}").Children<JProperty>().Count();`, "2|2"},
		{`var o = JObject.Parse("{\"a\":{\"b\":1}}"); var c = (JObject)o.DeepClone(); c["a"]["b"] = 2; return o.ToString(Formatting.None) + c.ToString(Formatting.None);`, `{"a":{"b":1}}{"a":{"b":2}}`},
		{`return JObject.Parse("{\"a\":\"x\"}").GetValue("a").ToString() + "|" + (JObject.Parse("{}").GetValue("a") == null);`, "x|True"},
		{`var o = JObject.Parse("{\"a\":1,\"l\":[1],\"n\":{\"x\":1},\"k\":\"keep\"}"); o.Merge(JObject.Parse("{\"a\":2,\"l\":[2],\"n\":{\"y\":2},\"k\":null,\"z\":true}")); return o.ToString(Formatting.None);`, `{"a":2,"l":[1,2],"n":{"x":1,"y":2},"k":"keep","z":true}`},
		{`return (JToken.Parse("[1]").Type == JTokenType.Array) + "|" + (JObject.Parse("{\"a\":\"s\"}")["a"].Type == JTokenType.String);`, "True|True"},
		{`JObject o = JObject.Parse("{\"items\":[{\"p\":2},{\"p\":5}]}"); return o["items"].Sum(i => (int)i["p"]) + "|" + o["items"].Select(i => (int)i["p"]).Max();`, "7|5"},
		{`return JsonConvert.DeserializeObject<JArray>("[1,2]").Count + "|" + JsonConvert.SerializeObject(JObject.Parse("{\"a\":1}"), Formatting.Indented).Length;`, "2|12"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
}

// TestCSharpMoreCommunity: a fourth batch of community snippets: HashSet,
// IndexOf(char), Parse with a culture, DateTime.Date and ParseExact,
// BitConverter.GetBytes.
func TestCSharpMoreCommunity(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`var allowed = new HashSet<string> { "a", "b" }; return allowed.Contains("b") + "|" + new HashSet<string>(new[] { "x" }).Contains("y");`, "True|False"},
		{`return "abca".IndexOf('c') + "|" + "abca".LastIndexOf('a');`, "2|3"},
		{`return (double.Parse("1.5", System.Globalization.CultureInfo.InvariantCulture) * 2) + "|" + int.Parse("7", CultureInfo.InvariantCulture);`, "3|7"},
		{`return new DateTime(2024, 5, 6, 13, 14, 15).Date.ToString("o");`, "2024-05-06T00:00:00.0000000"},
		{`return DateTime.ParseExact("20240102", "yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture).Day.ToString();`, "2"},
		{`return DateTime.ParseExact("02/01/2024 13:05:09", "dd/MM/yyyy HH:mm:ss", CultureInfo.InvariantCulture).ToString("s");`, "2024-01-02T13:05:09"},
		{`return DateTime.ParseExact("2024-01-02T03:04:05.123Z", "yyyy-MM-ddTHH:mm:ss.fffK", null).Millisecond.ToString();`, "123"},
		{`return DateTime.ParseExact("Tue, 02 Jan 2024 03:04:05 GMT", "r", null).Hour.ToString();`, "3"},
		{`return BitConverter.ToString(BitConverter.GetBytes(258)) + "|" + BitConverter.GetBytes(true)[0];`, "02-01-00-00|1"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	for _, tc := range []struct{ src, msg string }{
		{`@(DateTime.ParseExact("2024", "yyyyMMdd", null).Day)`, "was not recognized as a valid DateTime"},
		{`@(DateTime.ParseExact("2024 Jan", "yyyy 'Jan'", null).Day)`, "is not supported by DateTime.ParseExact"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.msg)
		}
	}
}

// TestCSharpXMLBodyAsElement: Body.As<XElement>() (the root) and
// Name.LocalName, a fifth batch of community snippets.
func TestCSharpXMLBodyAsElement(t *testing.T) {
	body := func(s *State) { s.Context().Request.Body = NewBody([]byte(`<order id="7"><item/><item/></order>`)) }
	for _, tc := range []struct{ src, want string }{
		{`return context.Request.Body.As<XElement>(preserveContent: true).Descendants().Count() + "|" + context.Request.Body.As<XElement>(true).Attribute("id").Value;`, "2|7"},
		{`return context.Request.Body.As<XDocument>(preserveContent: true).Root.Name.LocalName + "|" + (context.Request.Body.As<XElement>().Name == "order");`, "order|True"},
	} {
		csBothBlocks(t, tc.src, tc.want, body)
	}
}

// TestCSharpSixthBatch: char case, Convert.ToChar/ToHexString/
// FromHexString, Math.Truncate/Log10/Sign, decimal.Round, double.IsNaN,
// Guid.Empty, new TimeSpan, DateTime.Compare.
func TestCSharpSixthBatch(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`return string.Join(" ", "ada lovelace".Split(' ').Select(w => char.ToUpper(w[0]) + w.Substring(1)));`, "Ada Lovelace"},
		{`return Convert.ToChar(66).ToString() + Convert.ToHexString(new byte[] { 1, 255 }) + Convert.FromHexString("0aff").Length;`, "B01FF2"},
		{`return Math.Truncate(-3.7) + "|" + Math.Log10(1000) + "|" + Math.Sign(-2.5) + "|" + decimal.Round(2.346m, 2);`, "-3|3|-1|2.35"},
		{`return double.IsNaN(0.0 / 0.0) + "|" + double.IsInfinity(1.0 / 0.0) + "|" + (Guid.NewGuid() != Guid.Empty) + "|" + Guid.Empty;`, "True|True|True|00000000-0000-0000-0000-000000000000"},
		{`return new TimeSpan(1, 2, 3).ToString() + "|" + new TimeSpan(1, 0, 0, 30).TotalMinutes;`, "01:02:03|1440.5"},
		{`return DateTime.Compare(new DateTime(2024, 1, 2), new DateTime(2024, 1, 1)) + "|" + DateTime.Compare(DateTime.MinValue, DateTime.MinValue);`, "1|0"},
	} {
		csBothBlocks(t, tc.src, tc.want, nil)
	}
	_, err, _ := csRun(t, `@(Convert.FromHexString("xyz").Length)`, nil)
	if err == nil || !strings.Contains(err.Error(), "not a valid hex string") {
		t.Errorf("FromHexString: %v", err)
	}
}
