package csharp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// System.Security.Cryptography.Oid, X509NameType with
// X509Certificate2.GetNameInfo, and RSAEncryptionPadding with RSA.Encrypt
// and Decrypt, which APIM's policy expressions allow. GetNameInfo follows
// Windows' CertGetNameString (APIM's gateway runs on Windows), which .NET
// Framework calls.

var tOid = &Type{K: KOid, Name: "Oid"}

// netOid is an Oid: its dotted value and its friendly name (nil: none).
type netOid struct {
	value, friendly any
}

func (o *netOid) String() string { return "System.Security.Cryptography.Oid" }

// oidNames are the friendly names Windows gives common OIDs (its OID
// information, which .NET's Oid reads), by value.
var oidNames = [][2]string{
	{"2.5.4.3", "CN"}, {"2.5.4.6", "C"}, {"2.5.4.7", "L"}, {"2.5.4.8", "S"}, {"2.5.4.10", "O"}, {"2.5.4.11", "OU"},
	{"2.5.4.5", "SERIALNUMBER"}, {"1.2.840.113549.1.9.1", "E"}, {"0.9.2342.19200300.100.1.25", "DC"},
	{"1.2.840.113549.1.1.1", "RSA"}, {"1.2.840.113549.1.1.5", "sha1RSA"}, {"1.2.840.113549.1.1.11", "sha256RSA"},
	{"1.2.840.113549.1.1.12", "sha384RSA"}, {"1.2.840.113549.1.1.13", "sha512RSA"}, {"1.2.840.113549.1.1.10", "RSASSA-PSS"},
	{"1.2.840.113549.1.1.7", "RSAES_OAEP"}, {"1.2.840.10045.2.1", "ECC"}, {"1.2.840.10045.4.3.2", "sha256ECDSA"},
	{"1.2.840.10045.4.3.3", "sha384ECDSA"}, {"1.2.840.10045.4.3.4", "sha512ECDSA"},
	{"1.3.14.3.2.26", "sha1"}, {"2.16.840.1.101.3.4.2.1", "sha256"}, {"2.16.840.1.101.3.4.2.2", "sha384"},
	{"2.16.840.1.101.3.4.2.3", "sha512"}, {"1.2.840.113549.2.5", "md5"},
	{"2.5.29.14", "Subject Key Identifier"}, {"2.5.29.15", "Key Usage"}, {"2.5.29.17", "Subject Alternative Name"},
	{"2.5.29.18", "Issuer Alternative Name"}, {"2.5.29.19", "Basic Constraints"}, {"2.5.29.31", "CRL Distribution Points"},
	{"2.5.29.32", "Certificate Policies"}, {"2.5.29.35", "Authority Key Identifier"}, {"2.5.29.37", "Enhanced Key Usage"},
	{"1.3.6.1.5.5.7.1.1", "Authority Information Access"},
	{"1.3.6.1.5.5.7.3.1", "Server Authentication"}, {"1.3.6.1.5.5.7.3.2", "Client Authentication"},
	{"1.3.6.1.5.5.7.3.3", "Code Signing"}, {"1.3.6.1.5.5.7.3.4", "Secure Email"}, {"1.3.6.1.5.5.7.3.8", "Time Stamping"},
	{"1.3.6.1.5.5.7.3.9", "OCSP Signing"},
}

func oidFriendly(value string) any {
	for _, p := range oidNames {
		if p[0] == value {
			return p[1]
		}
	}
	return nil
}

// oidValue is the value of a friendly name (compared ignoring case, as
// Windows does), "" for none.
func oidValue(name string) string {
	for _, p := range oidNames {
		if strings.EqualFold(p[1], name) {
			return p[0]
		}
	}
	return ""
}

func oidRecv(v any) (*netOid, error) {
	o, ok := v.(*netOid)
	if !ok || o == nil {
		return nil, errNull
	}
	return o, nil
}

// ---- GetNameInfo

var x509NameType *enumDef

const (
	nameSimple = iota
	nameEmail
	nameUpn
	nameDNS
	nameDNSFromAlt
	nameURL
)

var (
	oidCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidUPN   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
	oidSAN   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidIAN   = asn1.ObjectIdentifier{2, 5, 29, 18}
)

// altNames are an alternative-name extension's names, in order.
type altNames struct {
	email, dns, url, upn []string
}

// parseAltNames reads a SubjectAltName or IssuerAltName extension
// (GeneralNames): rfc822Name [1], dNSName [2], URI [6] and the UPN
// otherName [0].
func parseAltNames(exts []pkix.Extension, id asn1.ObjectIdentifier) altNames {
	var out altNames
	for _, e := range exts {
		if !e.Id.Equal(id) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &seq); err != nil || len(rest) > 0 || !seq.IsCompound {
			return out
		}
		b := seq.Bytes
		for len(b) > 0 {
			var gn asn1.RawValue
			rest, err := asn1.Unmarshal(b, &gn)
			if err != nil {
				return out
			}
			b = rest
			if gn.Class != asn1.ClassContextSpecific {
				continue
			}
			switch gn.Tag {
			case 1:
				out.email = append(out.email, string(gn.Bytes))
			case 2:
				out.dns = append(out.dns, string(gn.Bytes))
			case 6:
				out.url = append(out.url, string(gn.Bytes))
			case 0: // otherName: type-id, [0] EXPLICIT value
				var id asn1.ObjectIdentifier
				rest, err := asn1.Unmarshal(gn.Bytes, &id)
				if err != nil || !id.Equal(oidUPN) {
					continue
				}
				var val asn1.RawValue
				if _, err := asn1.Unmarshal(rest, &val); err != nil || val.Class != asn1.ClassContextSpecific || val.Tag != 0 {
					continue
				}
				var s string
				if _, err := asn1.Unmarshal(val.Bytes, &s); err == nil {
					out.upn = append(out.upn, s)
				}
			}
		}
	}
	return out
}

// dnAttr is the first value of attribute id in a name ("" for none).
func dnAttr(n pkix.Name, id asn1.ObjectIdentifier) string {
	for _, a := range n.Names {
		if a.Type.Equal(id) {
			return fmt.Sprint(a.Value)
		}
	}
	return ""
}

// nameInfo is GetNameInfo(type, forIssuer) as Windows' CertGetNameString
// gives it: SimpleName the first CN, OU, O or E of the name, else the
// first rfc822Name, else the name's first attribute; EmailName the first
// rfc822Name, else the E attribute; DnsName the first dNSName, else the
// CN; DnsFromAlternativeName the first dNSName only; UpnName and UrlName
// the alternative name's; "" when there is none.
func nameInfo(c *x509.Certificate, typ int, forIssuer bool) (string, error) {
	name, alt := c.Subject, parseAltNames(c.Extensions, oidSAN)
	if forIssuer {
		name, alt = c.Issuer, parseAltNames(c.Extensions, oidIAN)
	}
	first := func(xs []string) string {
		if len(xs) > 0 {
			return xs[0]
		}
		return ""
	}
	switch typ {
	case nameSimple:
		for _, id := range []asn1.ObjectIdentifier{oidCN, oidOU, oidO, oidEmail} {
			if v := dnAttr(name, id); v != "" {
				return v, nil
			}
		}
		if v := first(alt.email); v != "" {
			return v, nil
		}
		if len(name.Names) > 0 {
			return fmt.Sprint(name.Names[0].Value), nil
		}
		return "", nil
	case nameEmail:
		if v := first(alt.email); v != "" {
			return v, nil
		}
		return dnAttr(name, oidEmail), nil
	case nameUpn:
		return first(alt.upn), nil
	case nameDNS:
		if v := first(alt.dns); v != "" {
			return v, nil
		}
		return dnAttr(name, oidCN), nil
	case nameDNSFromAlt:
		return first(alt.dns), nil
	case nameURL:
		return first(alt.url), nil
	}
	return "", exc("ArgumentException", "Invalid name type. (Parameter 'nameType')")
}

// ---- RSAEncryptionPadding, RSA.Encrypt and Decrypt

var rsaEncPadding *enumDef

const (
	padPkcs1 = iota
	padOaepSHA1
	padOaepSHA256
	padOaepSHA384
	padOaepSHA512
)

var oaepHashes = map[int]crypto.Hash{padOaepSHA1: crypto.SHA1, padOaepSHA256: crypto.SHA256, padOaepSHA384: crypto.SHA384, padOaepSHA512: crypto.SHA512}

// errRSAParam is Windows CNG's error for data an RSA key cannot encrypt or
// decrypt with the padding (too long, or not its cipher text).
var errRSAParam = cryptoErr("The parameter is incorrect.")

// pubKey is k's public key, made (2048 bits) when RSA.Create() has none
// yet, as .NET makes one on first use.
func (k *RSAKey) pubKey() (*rsa.PublicKey, error) {
	if k.pub == nil {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, cryptoErr(err.Error())
		}
		k.priv, k.pub = priv, &priv.PublicKey
	}
	return k.pub, nil
}

func rsaCrypt(a []any, encrypt bool) (any, error) {
	k, err := rsaArg(a[0])
	if err != nil {
		return nil, err
	}
	data, ok := a[1].([]byte)
	if !ok {
		return nil, argNull("data")
	}
	p, ok := a[2].(enumVal)
	if !ok {
		return nil, argNull("padding")
	}
	pub, err := k.pubKey()
	if err != nil {
		return nil, err
	}
	h, oaep := oaepHashes[p.v]
	if !oaep && p.v != padPkcs1 {
		return nil, cryptoErr("Unknown padding mode.")
	}
	if encrypt {
		var out []byte
		if oaep {
			out, err = rsa.EncryptOAEP(h.New(), rand.Reader, pub, data, nil)
		} else {
			out, err = rsa.EncryptPKCS1v15(rand.Reader, pub, data)
		}
		if err != nil {
			return nil, errRSAParam
		}
		return out, nil
	}
	if k.priv == nil {
		return nil, cryptoErr("The key does not have a private key to decrypt with.")
	}
	var out []byte
	if oaep {
		out, err = rsa.DecryptOAEP(h.New(), rand.Reader, k.priv, data, nil)
	} else {
		out, err = rsa.DecryptPKCS1v15(rand.Reader, k.priv, data)
	}
	if err != nil {
		return nil, errRSAParam
	}
	return out, nil
}

func registerX509More() {
	kindNames[KOid] = "Oid"
	S := tString
	// ---- Oid
	static("Oid", "new", ts(S), tOid, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return &netOid{}, nil // new Oid((string)null): both null
		}
		if v := oidValue(s); v != "" {
			return &netOid{value: v, friendly: oidFriendly(v)}, nil
		}
		return &netOid{value: s, friendly: oidFriendly(s)}, nil
	}, nil)
	static("Oid", "new", ts(S, S), tOid, func(a []any) (any, error) {
		return &netOid{value: a[0], friendly: a[1]}, nil
	}, nil)
	staticOverload("Oid", "new", ts(tOid), tOid, func(a []any) (any, error) {
		o, ok := a[0].(*netOid)
		if !ok || o == nil {
			return nil, argNull("oid")
		}
		return &netOid{value: o.value, friendly: o.friendly}, nil
	})
	static("Oid", "FromFriendlyName", ts(S, tObject), tOid, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("friendlyName")
		}
		v := oidValue(s)
		if v == "" {
			return nil, cryptoErr("No OID value matches this name.")
		}
		return &netOid{value: v, friendly: oidFriendly(v)}, nil
	}, nil)
	static("Oid", "FromOidValue", ts(S, tObject), tOid, func(a []any) (any, error) {
		s, ok := a[0].(string)
		if !ok {
			return nil, argNull("oidValue")
		}
		f := oidFriendly(s)
		if f == nil {
			return nil, cryptoErr("The OID value is invalid.")
		}
		return &netOid{value: s, friendly: f}, nil
	}, nil)
	for _, g := range []string{"All", "HashAlgorithm", "EncryptionAlgorithm", "PublicKeyAlgorithm", "SignatureAlgorithm", "Attribute", "ExtensionOrAttribute", "EnhancedKeyUsage", "Policy", "Template", "KeyDerivationFunction"} {
		g := g
		staticProp("OidGroup", g, tObject, func([]any) (any, error) { return g, nil }, nil)
	}
	prop(KOid, "Value", S, func(a []any) (any, error) {
		o, err := oidRecv(a[0])
		if err != nil {
			return nil, err
		}
		return o.value, nil
	}, nil)
	prop(KOid, "FriendlyName", S, func(a []any) (any, error) {
		o, err := oidRecv(a[0])
		if err != nil {
			return nil, err
		}
		return o.friendly, nil
	}, nil)
	objSetter(KOid, "Value", S, func(recv, v any) error {
		o, err := oidRecv(recv)
		if err != nil {
			return err
		}
		o.value = v
		return nil
	})
	objSetter(KOid, "FriendlyName", S, func(recv, v any) error {
		o, err := oidRecv(recv)
		if err != nil {
			return err
		}
		o.friendly = v
		if s, ok := v.(string); ok {
			if val := oidValue(s); val != "" {
				o.value = val // .NET sets the value of a known name too
			}
		}
		return nil
	})
	method(KOid, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)

	// ---- X509NameType and GetNameInfo
	x509NameType = newEnum("X509NameType", "System.Security.Cryptography.X509Certificates", "SimpleName", "EmailName", "UpnName", "DnsName", "DnsFromAlternativeName", "UrlName")
	method(KX509, "GetNameInfo", ts(x509NameType.t, tBool), S, func(a []any) (any, error) {
		x, ok := a[0].(*X509Cert)
		if !ok || x == nil {
			return nil, errNull
		}
		t, _ := a[1].(enumVal)
		return nameInfo(x.c, t.v, a[2] == true)
	}, nil)

	// ---- RSAEncryptionPadding
	rsaEncPadding = newEnum("RSAEncryptionPadding", "System.Security.Cryptography", "Pkcs1", "OaepSHA1", "OaepSHA256", "OaepSHA384", "OaepSHA512")
	static("RSAEncryptionPadding", "CreateOaep", ts(S), rsaEncPadding.t, func(a []any) (any, error) {
		switch a[0] {
		case "SHA1":
			return enumVal{rsaEncPadding, padOaepSHA1}, nil
		case "SHA256":
			return enumVal{rsaEncPadding, padOaepSHA256}, nil
		case "SHA384":
			return enumVal{rsaEncPadding, padOaepSHA384}, nil
		case "SHA512":
			return enumVal{rsaEncPadding, padOaepSHA512}, nil
		case nil:
			return nil, exc("ArgumentException", "The value cannot be an empty string. (Parameter 'hashAlgorithm.Name')")
		}
		return nil, exc("NotSupportedException", "OAEP with the hash '%s' is not supported by tollgate", catStr(a[0]))
	}, nil)
	method(KRSA, "Encrypt", ts(tBytes, rsaEncPadding.t), tBytes, func(a []any) (any, error) { return rsaCrypt(a, true) }, nil)
	method(KRSA, "Decrypt", ts(tBytes, rsaEncPadding.t), tBytes, func(a []any) (any, error) { return rsaCrypt(a, false) }, nil)
}
