package engine

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

// nameCert is a certificate whose subject and issuer alternative names
// hold a DNS name, an e-mail address, a URL and a UPN (an otherName, which
// Go's x509 does not write: the extension is built here), as DER.
func nameCert(t *testing.T, subject pkix.Name, withAlt bool) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: subject, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	if withAlt {
		upnVal, _ := asn1.MarshalWithParams("ada@contoso.example", "utf8")
		other, _ := asn1.Marshal(struct {
			ID    asn1.ObjectIdentifier
			Value asn1.RawValue
		}{asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: upnVal}})
		other[0] = 0xa0 // [0] constructed: the otherName choice (IMPLICIT)
		names := []asn1.RawValue{
			{FullBytes: other},
			{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("api.contoso.example")},
			{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("www.contoso.example")},
			{Class: asn1.ClassContextSpecific, Tag: 1, Bytes: []byte("ops@contoso.example")},
			{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte("https://contoso.example/id")},
		}
		san, err := asn1.Marshal(names)
		if err != nil {
			t.Fatal(err)
		}
		ian, _ := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("ca.contoso.example")}})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: san}, {Id: asn1.ObjectIdentifier{2, 5, 29, 18}, Value: ian}}
	}
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

// Oid, X509NameType with GetNameInfo, and RSAEncryptionPadding with
// RSA.Encrypt and Decrypt, which APIM's "API Management policy
// expressions" allows. GetNameInfo is Windows' CertGetNameString's
// (.NET Framework's on APIM's Windows gateway).
func TestCSharpOidNameInfoRSAEncryption(t *testing.T) {
	key, _, _, keyPEM := signingCert(t)
	full := nameCert(t, pkix.Name{CommonName: "Contoso API", Organization: []string{"Contoso"}}, true)
	bare := nameCert(t, pkix.Name{OrganizationalUnit: []string{"Ops"}, Country: []string{"GB"}}, false)
	vars := func(s *State) {
		s.Variables()["full"], s.Variables()["bare"], s.Variables()["pem"] = full, bare, keyPEM
	}
	const load = `var c = new X509Certificate2(Convert.FromBase64String((string)context.Variables["full"])); var b = new X509Certificate2(Convert.FromBase64String((string)context.Variables["bare"])); `
	for _, tc := range []struct{ name, stmts, want string }{
		{"Oid from a value", `var o = new Oid("2.5.4.3"); return o.Value + " " + o.FriendlyName;`, "2.5.4.3 CN"},
		{"Oid from a friendly name", `var o = new Oid("sha256"); return o.Value + " " + o.FriendlyName + " " + new Oid("Server Authentication").Value;`, "2.16.840.1.101.3.4.2.1 sha256 1.3.6.1.5.5.7.3.1"},
		{"an unknown Oid", `var o = new Oid("1.2.3.4"); return o.Value + " " + (o.FriendlyName == null);`, "1.2.3.4 True"},
		{"Oid(value, name), setters, FromFriendlyName", `var o = new Oid("1.2.3", "mine"); o.FriendlyName = "sha1RSA"; return o.Value + " " + o.FriendlyName + " " + Oid.FromFriendlyName("RSA", OidGroup.All).Value + " " + Oid.FromOidValue("2.5.29.17", OidGroup.All).FriendlyName;`,
			"1.2.840.113549.1.1.5 sha1RSA 1.2.840.113549.1.1.1 Subject Alternative Name"},
		{"SimpleName", load + `return c.GetNameInfo(X509NameType.SimpleName, false) + "|" + b.GetNameInfo(X509NameType.SimpleName, false);`, "Contoso API|Ops"},
		{"DnsName: the first dNSName, else the CN", load + `return c.GetNameInfo(X509NameType.DnsName, false) + "|" + b.GetNameInfo(X509NameType.DnsName, false) + "|" + new X509Certificate2(Convert.FromBase64String((string)context.Variables["full"])).GetNameInfo(X509NameType.DnsFromAlternativeName, false);`, "api.contoso.example||api.contoso.example"},
		{"EmailName, UpnName, UrlName", load + `return c.GetNameInfo(X509NameType.EmailName, false) + "|" + c.GetNameInfo(X509NameType.UpnName, false) + "|" + c.GetNameInfo(X509NameType.UrlName, false) + "|" + b.GetNameInfo(X509NameType.UpnName, false);`,
			"ops@contoso.example|ada@contoso.example|https://contoso.example/id|"},
		{"forIssuer: the issuer's name and alternative name", load + `return c.GetNameInfo(X509NameType.SimpleName, true) + "|" + c.GetNameInfo(X509NameType.DnsName, true);`, "Contoso API|ca.contoso.example"},
		{"X509NameType prints and casts", `return X509NameType.DnsName + " " + (int)X509NameType.UrlName + " " + (X509NameType)2;`, "DnsName 5 UpnName"},
		{"RSA round trip, each padding", `var k = RSA.Create(); k.ImportFromPem((string)context.Variables["pem"]); var d = Encoding.UTF8.GetBytes("secret"); var s = "";
			foreach (var p in new[] { RSAEncryptionPadding.Pkcs1, RSAEncryptionPadding.OaepSHA1, RSAEncryptionPadding.OaepSHA256, RSAEncryptionPadding.OaepSHA384, RSAEncryptionPadding.OaepSHA512 }) { var c = k.Encrypt(d, p); s += c.Length + Encoding.UTF8.GetString(k.Decrypt(c, p)) + p + ","; } return s;`,
			"256secretPkcs1,256secretOaepSHA1,256secretOaepSHA256,256secretOaepSHA384,256secretOaepSHA512,"},
		{"CreateOaep; equality", `return (RSAEncryptionPadding.CreateOaep(HashAlgorithmName.SHA256) == RSAEncryptionPadding.OaepSHA256) + " " + RSAEncryptionPadding.Pkcs1.Equals(RSAEncryptionPadding.OaepSHA1);`, "True False"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, vars) })
	}
	// a cipher text Go made with the public key decrypts in the policy, and
	// the policy's encrypts to what Go's key decrypts
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &key.PublicKey, []byte("from go"), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err2, _ := csRun(t, `@{ var k = RSA.Create(); k.ImportFromPem((string)context.Variables["pem"]); return Encoding.UTF8.GetString(k.Decrypt(Convert.FromBase64String((string)context.Variables["ct"]), RSAEncryptionPadding.OaepSHA256)) + "|" + Convert.ToBase64String(k.Encrypt(Encoding.UTF8.GetBytes("from c#"), RSAEncryptionPadding.Pkcs1)); }`,
		func(s *State) { vars(s); s.Variables()["ct"] = base64.StdEncoding.EncodeToString(ct) })
	if err2 != nil {
		t.Fatal(err2)
	}
	got, back, _ := strings.Cut(show(v), "|")
	raw, _ := base64.StdEncoding.DecodeString(back)
	plain, err := rsa.DecryptPKCS1v15(rand.Reader, key, raw)
	if got != "from go" || err != nil || string(plain) != "from c#" {
		t.Errorf("got %q, Go decrypted %q (%v)", got, plain, err)
	}
	pubPEM := func() string {
		der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}()
	for _, tc := range []struct{ src, want string }{
		{`@{ var k = RSA.Create(); k.ImportFromPem((string)context.Variables["pem"]); return Convert.ToBase64String(k.Encrypt(new byte[300], RSAEncryptionPadding.Pkcs1)); }`, "The parameter is incorrect."},
		{`@{ var k = RSA.Create(); k.ImportFromPem((string)context.Variables["pem"]); return Convert.ToBase64String(k.Decrypt(new byte[256], RSAEncryptionPadding.OaepSHA256)); }`, "The parameter is incorrect."},
		{`@{ var k = RSA.Create(); k.ImportFromPem((string)context.Variables["pub"]); return Convert.ToBase64String(k.Decrypt(new byte[256], RSAEncryptionPadding.Pkcs1)); }`, "The key does not have a private key to decrypt with."},
		{`@{ var k = RSA.Create(); byte[] d = null; return Convert.ToBase64String(k.Encrypt(d, RSAEncryptionPadding.Pkcs1)); }`, "Value cannot be null. (Parameter 'data')"},
		{`@{ RSA k = null; return Convert.ToBase64String(k.Encrypt(new byte[1], RSAEncryptionPadding.Pkcs1)); }`, "Object reference not set to an instance of an object."},
		{`@{ var k = RSA.Create(); return Convert.ToBase64String(k.Encrypt(new byte[1], (RSAEncryptionPadding)9)); }`, "Unknown padding mode."},
		{`@(RSAEncryptionPadding.CreateOaep(HashAlgorithmName.MD5))`, "HashAlgorithmName"},
		{`@(Oid.FromFriendlyName("nope", OidGroup.All).Value)`, "No OID value matches this name."},
		{`@{ var c = new X509Certificate2(Convert.FromBase64String((string)context.Variables["full"])); return c.GetNameInfo((X509NameType)9, false); }`, "Invalid name type."},
		{`@{ X509Certificate2 c = null; return c.GetNameInfo(X509NameType.SimpleName, false); }`, "Object reference not set to an instance of an object."},
	} {
		_, err, _ := csRun(t, tc.src, func(s *State) { vars(s); s.Variables()["pub"] = pubPEM })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var k = RSA.Create(); return Convert.ToBase64String(k.Encrypt(new byte[1], RSASignaturePadding.Pkcs1)); }`, "cannot convert from 'string' to 'RSAEncryptionPadding'"},
		{`@{ var k = RSA.Create(); return Convert.ToBase64String(k.Encrypt(new byte[1], 1)); }`, "cannot convert from 'int' to 'RSAEncryptionPadding'"},
		{`@{ var k = RSA.Create(); return Convert.ToBase64String(k.Encrypt("x", RSAEncryptionPadding.Pkcs1)); }`, "cannot convert from 'string' to 'byte[]'"},
		{`@{ var c = new X509Certificate2(new byte[1]); return c.GetNameInfo(X509NameType.SimpleName); }`, "no overload for method 'GetNameInfo' takes 1 arguments"},
		{`@{ var c = new X509Certificate2(new byte[1]); return c.GetNameInfo(0, false); }`, "cannot convert from 'int' to 'X509NameType'"},
		{`@(new Oid(1).Value)`, "cannot convert from 'int' to 'string'"},
		{`@(RSAEncryptionPadding.OaepSHA3)`, "'RSAEncryptionPadding' does not contain a definition for 'OaepSHA3'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
