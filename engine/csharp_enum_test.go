package engine

import (
	"strings"
	"testing"
)

// APIM's table of allowed .NET types lists System.Enum with Parse,
// TryParse and ToString. They run on tollgate's enum types (CipherMode,
// PaddingMode, MidpointRounding, UriPartial, DateTimeKind, X509NameType)
// with .NET Framework's Enum.Parse rules: the text trimmed, names compared
// ordinally (ignoreCase: ignoring case), a number is the value (defined or
// not), a comma-separated list ORs its members. Each text runs lowered and,
// in a try block, on the interpreter.
func TestCSharpEnumParse(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`((CipherMode)Enum.Parse(typeof(CipherMode), "ECB")).ToString()`, "ECB"},
		{`(int)(CipherMode)Enum.Parse(typeof(CipherMode), "CTS")`, "5"},
		{`Enum.Parse(typeof(PaddingMode), "  Zeros ").ToString()`, "Zeros"},
		{`Enum.Parse(typeof(MidpointRounding), "awayfromzero", true).ToString()`, "AwayFromZero"},
		{`Math.Round(2.5, (MidpointRounding)Enum.Parse(typeof(MidpointRounding), "AwayFromZero"))`, "3"},
		{`Enum.Parse(typeof(System.UriPartial), "Path", false).ToString()`, "Path"},
		// a number: the value, named or not (.NET's Enum.Parse("8") on a
		// non-flags enum is 8 too)
		{`Enum.Parse(typeof(CipherMode), "2").ToString()`, "ECB"},
		{`Enum.Parse(typeof(CipherMode), "+3").ToString()`, "OFB"},
		{`Enum.Parse(typeof(CipherMode), "42").ToString()`, "42"},
		{`Enum.Parse(typeof(CipherMode), "-1").ToString()`, "-1"},
		// a list ORs its members: CBC (1) | ECB (2) is OFB (3)
		{`Enum.Parse(typeof(CipherMode), "CBC, ECB").ToString()`, "OFB"},
		{`Enum.Parse(typeof(CipherMode), "cbc,cfb", true).ToString()`, "CTS"},
		// ToString(format)
		{`CipherMode.ECB.ToString("G") + CipherMode.ECB.ToString("D") + CipherMode.ECB.ToString("X") + CipherMode.ECB.ToString("F")`, "ECB200000002ECB"},
		{`((CipherMode)6).ToString("F") + " " + ((CipherMode)6).ToString() + " " + ((CipherMode)8).ToString("f") + " " + ((CipherMode)0).ToString("F")`, "ECB, CFB 6 8 0"},
		{`((DateTimeKind)(-1)).ToString("x")`, "FFFFFFFF"},
		{`default(CipherMode).ToString() + " " + default(DateTimeKind)`, "0 Unspecified"},
		{`DateTimeKind.Utc.ToString(null) + DateTimeKind.Utc.ToString("")`, "UtcUtc"},
	} {
		t.Run(tc.src, func(t *testing.T) { csBothPaths(t, tc.src, tc.want, nil) })
	}
}

// Enum.TryParse<TEnum>(value, [ignoreCase,] out result): true and the
// value where Enum.Parse gives one, false and default(TEnum) where it
// throws (a null or empty text, an unknown name, a number out of int's
// range). TEnum is written or inferred from the out argument.
func TestCSharpEnumTryParse(t *testing.T) {
	for _, tc := range []struct{ stmts, want string }{
		{`CipherMode m; bool ok = Enum.TryParse("CFB", out m); return ok + " " + m;`, "True CFB"},
		{`bool ok = Enum.TryParse<PaddingMode>("pkcs7", out var p); return ok + " " + (int)p;`, "False 0"},
		{`bool ok = Enum.TryParse<PaddingMode>("pkcs7", true, out var p); return ok + " " + p;`, "True PKCS7"},
		{`bool ok = Enum.TryParse("Scheme, Authority", out UriPartial u); return ok + " " + u;`, "True Authority"},
		{`bool ok = Enum.TryParse("Query", false, out UriPartial u); return ok + " " + u;`, "True Query"},
		{`return Enum.TryParse("", out MidpointRounding r) + " " + r;`, "False ToEven"},
		{`return Enum.TryParse((string)null, out MidpointRounding r) + " " + r;`, "False ToEven"},
		{`return Enum.TryParse("Local, Nowhere", out DateTimeKind k) + " " + k;`, "False Unspecified"},
		{`return Enum.TryParse("99999999999", out DateTimeKind k) + " " + k;`, "False Unspecified"},
		{`return Enum.TryParse("7", out X509NameType n) + " " + n;`, "True 7"},
		{`var s = context.Variables.GetValueOrDefault<string>("mode", "ECB"); CipherMode mode; if (!Enum.TryParse(s, true, out mode)) { return "bad"; } return mode.ToString("D");`, "2"},
	} {
		t.Run(tc.stmts, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	// Enum.Parse's exceptions, .NET Framework's messages
	for _, tc := range []struct{ src, want string }{
		{`@(Enum.Parse(typeof(CipherMode), "Blowfish").ToString())`, "Requested value 'Blowfish' was not found."},
		{`@(Enum.Parse(typeof(CipherMode), "ecb").ToString())`, "Requested value 'ecb' was not found."},
		{`@(Enum.Parse(typeof(PaddingMode), "P\u212ACS7", true).ToString())`, "Requested value 'P\u212ACS7' was not found."}, // the Kelvin sign is not K to .NET
		{`@(Enum.Parse(typeof(CipherMode), "CBC,").ToString())`, "Requested value 'CBC,' was not found."},
		{`@(Enum.Parse(typeof(CipherMode), " ").ToString())`, "Must specify valid information for parsing in the string."},
		{`@(Enum.Parse(typeof(CipherMode), (string)null).ToString())`, "Value cannot be null"},
		{`@(Enum.Parse(typeof(CipherMode), "4294967296").ToString())`, "Value was either too large or too small for an Int32."},
		{`@(CipherMode.CBC.ToString("Q"))`, `Format String can be only "G", "g", "X", "x", "F", "f", "D" or "d".`},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// load errors: APIM allows Parse, TryParse and ToString only; typeof
	// only as Enum.Parse's first argument; the enum types tollgate has
	for _, tc := range []struct{ src, want string }{
		{`@(Enum.GetName(typeof(CipherMode), 1))`, "'Enum' does not contain a definition for 'GetName'"},
		{`@(Enum.IsDefined(typeof(CipherMode), 1))`, "'Enum' does not contain a definition for 'IsDefined'"},
		{`@(Enum.Parse(typeof(string), "x").ToString())`, "Enum.Parse takes the enum types tollgate has (CipherMode, DateTimeKind, MidpointRounding, NormalizationForm, PaddingMode, ProductState, UriKind, UriPartial, X509ContentType, X509NameType): 'string' is not one of them"},
		{`@(Enum.Parse(typeof(RSAEncryptionPadding), "Pkcs1").ToString())`, "'RSAEncryptionPadding' is not one of them"},
		{`@(Enum.Parse("CipherMode", "CBC").ToString())`, "Enum.Parse's first argument must be typeof(E)"},
		{`@(Enum.Parse(typeof(CipherMode)).ToString())`, "no overload for method 'Parse' takes 1 arguments"},
		{`@(Enum.Parse(typeof(CipherMode), 1).ToString())`, "cannot convert"},
		{`@{ Enum.TryParse("CBC", out var m); return "x"; }`, "cannot be inferred from the usage"},
		{`@{ Enum.TryParse<Guid>("CBC", out var m); return "x"; }`, "'Guid' is not one of them"},
		{`@{ Enum.TryParse<CipherMode>("CBC", out PaddingMode m); return "x"; }`, "cannot convert from 'out PaddingMode' to 'out CipherMode'"},
		{`@(typeof(CipherMode))`, "typeof is not supported in policy expressions"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
