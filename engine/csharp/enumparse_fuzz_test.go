package csharp

import "testing"

// FuzzEnumParse: Enum.Parse's reading (parseEnum) never panics, gives a
// value or one of .NET's exceptions for it, reads what a value prints back
// as that value, and reads with ignoreCase whatever it reads without.
//
//	go test -run '^$' -fuzz FuzzEnumParse -fuzztime 30s -fuzzminimizetime 0 ./engine/csharp/
func FuzzEnumParse(f *testing.F) {
	for _, s := range []string{"CBC", " ecb ", "CBC, ECB", "CBC,", ",", "", "  ", "42", "-1", "+3", "4294967296", "1a", "-",
		"P\u212ACS7", "pkcs7", "None,None", "\u00a0Zeros\u3000", "99999999999999999999", "0x1", "Pkcs12", "pfx, pkcs12"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	loadBuiltins()
	defs := []*enumDef{cipherModes, paddingModes, midpoint, uriPartial, uriKind, enumDefs["X509ContentType"]}
	f.Fuzz(func(t *testing.T, s string, ignoreCase bool) {
		for _, d := range defs {
			v, err := parseEnum(d, s, ignoreCase)
			if err != nil {
				e, ok := err.(*Exception)
				if !ok || e.Type != "ArgumentException" && e.Type != "OverflowException" {
					t.Fatalf("%q: %v", s, err)
				}
				continue
			}
			e := v.(enumVal)
			back, err := parseEnum(d, e.String(), false)
			if err != nil || back != e {
				t.Fatalf("%q: %v prints %q, read back as %v, %v", s, e, e.String(), back, err)
			}
			if !ignoreCase {
				if w, err := parseEnum(d, s, true); err != nil || w != e {
					t.Fatalf("%q: %v, with ignoreCase %v, %v", s, e, w, err)
				}
			}
		}
	})
}
