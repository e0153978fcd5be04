package csharp

import (
	"crypto/rand"
	"strings"
)

// System.Security.Cryptography's HashAlgorithm, HMAC and
// KeyedHashAlgorithm factories (Create(), Create(name)), SHA384 and
// HMACSHA384, the SHA*Managed classes and HMACs made without a key, which
// APIM's policy expressions allow. A keyed hash (an HMAC) is its own
// static type, KHMAC, which has Key; it converts to HashAlgorithm.

var tHMAC = &Type{K: KHMAC, Name: "HMAC"}

// hashNames are the hash algorithms of .NET Framework's CryptoConfig names
// (compared ignoring case, as CryptoConfig does): the algorithm and the
// class Create gives.
var hashNames = map[string][2]string{
	"sha": {"SHA1", "SHA1CryptoServiceProvider"}, "sha1": {"SHA1", "SHA1CryptoServiceProvider"},
	"system.security.cryptography.sha1":                      {"SHA1", "SHA1CryptoServiceProvider"},
	"system.security.cryptography.hashalgorithm":             {"SHA1", "SHA1CryptoServiceProvider"},
	"system.security.cryptography.sha1cryptoserviceprovider": {"SHA1", "SHA1CryptoServiceProvider"},
	"system.security.cryptography.sha1managed":               {"SHA1", "SHA1Managed"},
	"md5": {"MD5", "MD5CryptoServiceProvider"}, "system.security.cryptography.md5": {"MD5", "MD5CryptoServiceProvider"},
	"system.security.cryptography.md5cryptoserviceprovider": {"MD5", "MD5CryptoServiceProvider"},
	"sha256": {"SHA256", "SHA256Managed"}, "sha-256": {"SHA256", "SHA256Managed"},
	"system.security.cryptography.sha256":        {"SHA256", "SHA256Managed"},
	"system.security.cryptography.sha256managed": {"SHA256", "SHA256Managed"},
	"sha384": {"SHA384", "SHA384Managed"}, "sha-384": {"SHA384", "SHA384Managed"},
	"system.security.cryptography.sha384":        {"SHA384", "SHA384Managed"},
	"system.security.cryptography.sha384managed": {"SHA384", "SHA384Managed"},
	"sha512": {"SHA512", "SHA512Managed"}, "sha-512": {"SHA512", "SHA512Managed"},
	"system.security.cryptography.sha512":        {"SHA512", "SHA512Managed"},
	"system.security.cryptography.sha512managed": {"SHA512", "SHA512Managed"},
}

// hmacNames are CryptoConfig's names of the keyed hashes.
var hmacNames = map[string]string{
	"hmacsha1": "SHA1", "system.security.cryptography.hmacsha1": "SHA1",
	"system.security.cryptography.keyedhashalgorithm": "SHA1", "system.security.cryptography.hmac": "SHA1",
	"hmacmd5": "MD5", "system.security.cryptography.hmacmd5": "MD5",
	"hmacsha256": "SHA256", "system.security.cryptography.hmacsha256": "SHA256",
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha256": "SHA256",
	"hmacsha384": "SHA384", "system.security.cryptography.hmacsha384": "SHA384",
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha384": "SHA384",
	"hmacsha512": "SHA512", "system.security.cryptography.hmacsha512": "SHA512",
	"http://www.w3.org/2001/04/xmldsig-more#hmac-sha512": "SHA512",
}

// knownUnsupported are CryptoConfig names .NET Framework has that tollgate
// does not: Create(name) says so, where a null would mislead.
var knownUnsupported = map[string]bool{"ripemd160": true, "ripemd-160": true, "system.security.cryptography.ripemd160": true,
	"system.security.cryptography.ripemd160managed": true, "mactripledes": true, "system.security.cryptography.mactripledes": true,
	"hmacripemd160": true, "system.security.cryptography.hmacripemd160": true}

// newHMAC is an HMAC of alg with a new random key, as .NET's parameterless
// constructors make one (64 bytes; 128 for SHA-384 and SHA-512).
func newHMAC(alg string) *hasher {
	n := 64
	if alg == "SHA384" || alg == "SHA512" {
		n = 128
	}
	k := make([]byte, n)
	rand.Read(k)
	return &hasher{name: alg, key: k, hmac: true}
}

// hashByName is HashAlgorithm.Create(name) (keyed "HMAC" or
// "KeyedHashAlgorithm": that class's Create, whose result must be one).
func hashByName(v any, keyed string) (any, error) {
	name, ok := v.(string)
	if !ok {
		return nil, argNull("name")
	}
	low := strings.ToLower(name)
	if alg, ok := hmacNames[low]; ok {
		return newHMAC(alg), nil
	}
	if h, ok := hashNames[low]; ok {
		if keyed != "" {
			return nil, castErr(&hasher{name: h[0], class: h[1]}, "System.Security.Cryptography."+keyed)
		}
		return &hasher{name: h[0], class: h[1]}, nil
	}
	if knownUnsupported[low] {
		return nil, exc("NotSupportedException", "the hash algorithm '%s' is not supported by tollgate (it has MD5, SHA1, SHA256, SHA384, SHA512 and their HMACs)", name)
	}
	return nil, nil
}

// className is the .NET class a hasher is an instance of.
func (h *hasher) className() string {
	switch {
	case h.hmac:
		return "HMAC" + h.name
	case h.class != "":
		return h.class
	case h.name == "SHA1" || h.name == "MD5":
		return h.name + "CryptoServiceProvider"
	}
	return h.name + "Managed"
}

func hashSize(name string) int {
	return map[string]int{"MD5": 128, "SHA1": 160, "SHA256": 256, "SHA384": 384, "SHA512": 512}[name]
}

func hasherRecv(v any) (*hasher, error) {
	h, ok := v.(*hasher)
	if !ok || h == nil {
		return nil, errNull
	}
	return h, nil
}

func registerHashes() {
	kindNames[KHMAC] = "HMAC"
	// the keyed hashes' constructors give an HMAC; each has a
	// parameterless one too (a random key)
	for _, h := range []string{"HMACSHA256", "HMACSHA1", "HMACSHA512", "HMACMD5"} {
		for _, c := range statics[h]["new"] {
			c.result = tHMAC
		}
	}
	statics["HMACSHA384"] = table{"new": {reg(&builtin{key: "HMACSHA384.new", params: ts(tBytes), result: tHMAC, run: func(a []any) (any, error) {
		k, err := bytesArg(a[0])
		if err != nil {
			return nil, err
		}
		return &hasher{name: "SHA384", key: k, hmac: true}, nil
	}})}}
	for _, h := range []string{"HMACSHA256", "HMACSHA1", "HMACSHA512", "HMACMD5", "HMACSHA384"} {
		alg := strings.TrimPrefix(h, "HMAC")
		statics[h]["new"] = append(statics[h]["new"], reg(&builtin{key: h + ".new/0", result: tHMAC, run: func([]any) (any, error) { return newHMAC(alg), nil }}))
	}
	static("SHA384", "Create", ts(), tHash, func([]any) (any, error) { return &hasher{name: "SHA384"}, nil }, nil)
	static("SHA384", "HashData", ts(tBytes), tBytes, func(a []any) (any, error) {
		b, err := bytesArg(a[0])
		if err != nil {
			return nil, err
		}
		return (&hasher{name: "SHA384"}).compute(b), nil
	}, nil)
	// SHA1Managed, SHA256Managed...: a constructor, and the base class's
	// static Create() (C# reaches it through the derived class)
	for _, alg := range []string{"SHA1", "SHA256", "SHA384", "SHA512"} {
		alg, cls := alg, alg+"Managed"
		static(cls, "new", ts(), tHash, func([]any) (any, error) { return &hasher{name: alg, class: cls}, nil }, nil)
		statics[cls]["Create"] = statics[alg]["Create"]
	}
	// .NET Framework's defaults: SHA1, and HMACSHA1 with a random key
	static("HashAlgorithm", "Create", ts(), tHash, func([]any) (any, error) { return &hasher{name: "SHA1", class: "SHA1CryptoServiceProvider"}, nil }, nil)
	static("HashAlgorithm", "Create", ts(tString), tHash, func(a []any) (any, error) { return hashByName(a[0], "") }, nil)
	for _, typ := range []string{"HMAC", "KeyedHashAlgorithm"} {
		typ := typ
		static(typ, "Create", ts(), tHMAC, func([]any) (any, error) { return newHMAC("SHA1"), nil }, nil)
		static(typ, "Create", ts(tString), tHMAC, func(a []any) (any, error) { return hashByName(a[0], typ) }, nil)
	}

	for _, k := range []Kind{KHash, KHMAC} {
		if k == KHMAC { // KHash's is builtins.go's
			method(k, "ComputeHash", ts(tBytes), tBytes, func(a []any) (any, error) {
				h, err := hasherRecv(a[0])
				if err != nil {
					return nil, err
				}
				b, err := bytesArg(a[1])
				if err != nil {
					return nil, err
				}
				return h.compute(b), nil
			}, nil)
		}
		method(k, "ComputeHash", ts(tBytes, tInt, tInt), tBytes, func(a []any) (any, error) {
			h, err := hasherRecv(a[0])
			if err != nil {
				return nil, err
			}
			b, err := bytesArg(a[1])
			if err != nil {
				return nil, err
			}
			off, n := toInt(a[2]), toInt(a[3])
			switch {
			case off < 0:
				return nil, exc("ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'offset')")
			case n < 0 || n > len(b):
				return nil, exc("ArgumentException", "Value was invalid.")
			case len(b)-n < off:
				return nil, exc("ArgumentException", "Offset and length were out of bounds for the array or count is greater than the number of elements from index to the end of the source collection.")
			}
			return h.compute(b[off : off+n]), nil
		}, nil)
		prop(k, "HashSize", tInt, func(a []any) (any, error) {
			h, err := hasherRecv(a[0])
			if err != nil {
				return nil, err
			}
			return hashSize(h.name), nil
		}, nil)
		method(k, "ToString", ts(), tString, func(a []any) (any, error) { return callToString(a[0]) }, nil)
		for _, name := range []string{"Dispose", "Clear", "Initialize"} {
			method(k, name, ts(), tVoid, func(a []any) (any, error) {
				_, err := hasherRecv(a[0])
				return nil, err
			}, nil)
		}
	}
	prop(KHMAC, "Key", tBytes, func(a []any) (any, error) {
		h, err := hasherRecv(a[0])
		if err != nil {
			return nil, err
		}
		return append([]byte{}, h.key...), nil
	}, nil)
	objSetter(KHMAC, "Key", tBytes, func(recv, v any) error {
		h, err := hasherRecv(recv)
		if err != nil {
			return err
		}
		k, ok := v.([]byte)
		if !ok {
			return argNull("value")
		}
		h.key = append([]byte{}, k...)
		return nil
	})
	prop(KHMAC, "HashName", tString, func(a []any) (any, error) {
		h, err := hasherRecv(a[0])
		if err != nil {
			return nil, err
		}
		return h.name, nil
	}, nil)
}
