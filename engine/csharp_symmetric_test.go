package engine

import (
	"strings"
	"testing"
)

// The keys and IVs of the symmetric tests, in base64.
const (
	symK128 = `Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODw==")`
	symK256 = `Convert.FromBase64String("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")`
	symIV   = `Convert.FromBase64String("Dw4NDAsKCQgHBgUEAwIBAA==")`
	symDESK = `Convert.FromBase64String("ASNFZ4mrze8=")`
	symDESV = `Convert.FromBase64String("ESIzRFVmd4g=")`
	sym3K24 = `Convert.FromBase64String("ASNFZ4mrze/+3LqYdlQyEImrze8BI0Vn")`
	sym3K16 = `Convert.FromBase64String("ASNFZ4mrze/+3LqYdlQyEA==")`
	symText = `Encoding.UTF8.GetBytes("secret message!")`
)

// APIM's byte[] extensions Encrypt and Decrypt with a SymmetricAlgorithm
// (documented in "API Management policy expressions": Encrypt(input, alg),
// Encrypt(input, alg, key, iv), and the same for Decrypt), the algorithm
// made with SymmetricAlgorithm.Create and set as .NET sets it. The cipher
// texts are OpenSSL's for the same key, IV, mode and padding (the padding
// written by hand where OpenSSL has none: .NET pads CFB to its feedback).
func TestCSharpSymmetricAlgorithm(t *testing.T) {
	enc := func(setup, encrypt string) string {
		return `using (SymmetricAlgorithm a = SymmetricAlgorithm.Create("Aes")) { ` + setup + ` return Convert.ToBase64String(` + encrypt + `); }`
	}
	for _, tc := range []struct{ name, stmts, want string }{
		{"defaults: CBC, PKCS7", enc(`a.Key = `+symK256+`; a.IV = `+symIV+`;`, symText+`.Encrypt(a)`), "w3/SEZD5LBsISWV2aSFU9A=="},
		{"key and iv given", enc(``, symText+`.Encrypt(a, `+symK256+`, `+symIV+`)`), "w3/SEZD5LBsISWV2aSFU9A=="},
		{"the name variant", `return Convert.ToBase64String(` + symText + `.Encrypt("Aes", ` + symK256 + `, ` + symIV + `));`, "w3/SEZD5LBsISWV2aSFU9A=="},
		{"ECB", enc(`a.Mode = CipherMode.ECB; a.KeySize = 128;`, symText+`.Encrypt(a, `+symK128+`, `+symIV+`)`), "VBx5ph47T+l1hF12aQagqg=="},
		{"CFB, Aes's 8-bit feedback: one byte of padding", enc(`a.Mode = CipherMode.CFB;`, symText+`.Encrypt(a, `+symK256+`, `+symIV+`)`), "AR7o9zAMttN8erU4nBFV1Q=="},
		{"CFB, a full-block feedback", enc(`a.Mode = CipherMode.CFB; a.FeedbackSize = 128;`, symText+`.Encrypt(a, `+symK256+`, `+symIV+`)`), "AdSASikHb0YW2ber7SekoA=="},
		{"Rijndael starts with a full-block feedback", `var a = SymmetricAlgorithm.Create("Rijndael"); a.Mode = CipherMode.CFB; return Convert.ToBase64String(` + symText + `.Encrypt(a, ` + symK256 + `, ` + symIV + `));`, "AdSASikHb0YW2ber7SekoA=="},
		{"CFB8 with zeros: no padding", enc(`a.Mode = CipherMode.CFB; a.Padding = PaddingMode.Zeros;`, `Encoding.UTF8.GetBytes("secret").Encrypt(a, `+symK256+`, `+symIV+`)`), "AR7o9zAM"},
		{"PKCS7 on a whole block adds one", enc(``, `Encoding.UTF8.GetBytes("0123456789abcdef").Encrypt(a, `+symK128+`, `+symIV+`)`), "/xTb5AXMDuJNDeQSifD8mIaABU/JAWu/T0BnzSeCbNs="},
		{"no padding", enc(`a.Padding = PaddingMode.None;`, `Encoding.UTF8.GetBytes("0123456789abcdef").Encrypt(a, `+symK128+`, `+symIV+`)`), "/xTb5AXMDuJNDeQSifD8mA=="},
		{"zeros", enc(`a.Padding = PaddingMode.Zeros;`, `Encoding.UTF8.GetBytes("secret").Encrypt(a, `+symK128+`, `+symIV+`)`), "xaP8PsTGJUxL+hwGLqxSJA=="},
		{"ANSI X9.23", enc(`a.Padding = PaddingMode.ANSIX923;`, `Encoding.UTF8.GetBytes("secret").Encrypt(a, `+symK128+`, `+symIV+`)`), "wOEO5k3TPrAq0uF/4NAf6w=="},
		{"DES", `var a = SymmetricAlgorithm.Create("DES"); a.Key = ` + symDESK + `; a.IV = ` + symDESV + `; return Convert.ToBase64String(` + symText + `.Encrypt(a));`, "wKf9/MlW9w68uH7FyQGE1w=="},
		{"TripleDES, three keys", `return Convert.ToBase64String(` + symText + `.Encrypt("TripleDES", ` + sym3K24 + `, ` + symDESV + `));`, "lfZKSto0KOY/4lMa4gS63A=="},
		{"TripleDES, two keys", `var a = SymmetricAlgorithm.Create("System.Security.Cryptography.TripleDES"); return Convert.ToBase64String(` + symText + `.Encrypt(a, ` + sym3K16 + `, ` + symDESV + `));`, "dIwmWpJc114b6pGtnnZd3w=="},
		// Decrypt takes back what Encrypt made
		{"decrypt with the object", enc(`a.Key = `+symK256+`; a.IV = `+symIV+`;`, `Convert.FromBase64String("w3/SEZD5LBsISWV2aSFU9A==").Decrypt(a)`), "c2VjcmV0IG1lc3NhZ2Uh"},
		{"decrypt CFB8", enc(`a.Mode = CipherMode.CFB;`, `Convert.FromBase64String("AR7o9zAMttN8erU4nBFV1Q==").Decrypt(a, `+symK256+`, `+symIV+`)`), "c2VjcmV0IG1lc3NhZ2Uh"},
		{"decrypt zeros keeps them", enc(`a.Padding = PaddingMode.Zeros;`, `Convert.FromBase64String("xaP8PsTGJUxL+hwGLqxSJA==").Decrypt(a, `+symK128+`, `+symIV+`)`), "c2VjcmV0AAAAAAAAAAAAAA=="},
		{"decrypt ANSI X9.23", enc(`a.Padding = PaddingMode.ANSIX923;`, `Convert.FromBase64String("wOEO5k3TPrAq0uF/4NAf6w==").Decrypt(a, `+symK128+`, `+symIV+`)`), "c2VjcmV0"},
		{"decrypt TripleDES", `return Convert.ToBase64String(Convert.FromBase64String("dIwmWpJc114b6pGtnnZd3w==").Decrypt("TripleDES", ` + sym3K16 + `, ` + symDESV + `));`, "c2VjcmV0IG1lc3NhZ2Uh"},
		// a key and an IV made when none was set: they round-trip
		{"generated key", `var a = SymmetricAlgorithm.Create("Rijndael"); var c = ` + symText + `.Encrypt(a); return Encoding.UTF8.GetString(c.Decrypt(a, a.Key, a.IV)) + " " + a.Key.Length + " " + a.IV.Length;`, "secret message! 32 16"},
		{"GenerateKey after KeySize", `var a = SymmetricAlgorithm.Create("aes"); a.KeySize = 128; a.GenerateKey(); a.GenerateIV(); return a.Key.Length + a.IV.Length;`, "32"},
		{"ISO 10126 round-trips", `var a = SymmetricAlgorithm.Create("Aes"); a.Padding = PaddingMode.ISO10126; var c = ` + symText + `.Encrypt(a); return Encoding.UTF8.GetString(c.Decrypt(a)) + c.Length;`, "secret message!16"},
		// the properties read back as set; the enums as .NET names them
		{"properties", `var a = SymmetricAlgorithm.Create("aes"); a.Key = ` + symK128 + `; a.Mode = CipherMode.ECB; a.Padding = PaddingMode.Zeros; return a.KeySize + " " + a.BlockSize + " " + a.FeedbackSize + " " + a.Mode + " " + a.Padding.ToString() + " " + (int)a.Mode + " " + (a.Mode == CipherMode.ECB) + " " + a.ValidKeySize(192);`,
			"128 128 8 ECB Zeros 2 True True"},
		{"Key's getter gives a copy", `var a = SymmetricAlgorithm.Create("aes"); a.Key = ` + symK128 + `; var k = a.Key; k[0] = 9; return a.Key[0];`, "0"},
		{"Clear drops the key", `var a = SymmetricAlgorithm.Create("aes"); a.Key = ` + symK128 + `; a.Clear(); a.Dispose(); return a.Key.Length;`, "16"},
		{"a cast from object", `object o = SymmetricAlgorithm.Create("DES"); var a = (SymmetricAlgorithm)o; return a.BlockSize;`, "64"},
		{"its .NET class names it", `var a = SymmetricAlgorithm.Create("aes"); a.Key = ` + symK128 + `; return a.ToString() + " " + SymmetricAlgorithm.Create("Rijndael") + " " + SymmetricAlgorithm.Create("AesManaged");`,
			"System.Security.Cryptography.AesCryptoServiceProvider System.Security.Cryptography.RijndaelManaged System.Security.Cryptography.AesManaged"},
		{"an unknown name gives null", `return SymmetricAlgorithm.Create("Blowfish") == null;`, "true"},
		// the documented Curity OAuth proxy pattern, as written
		{"the OAuth proxy's cookie decryption", `int keySize = 256; byte[] iv = ` + symIV + `; byte[] cipherText = Convert.FromBase64String("w3/SEZD5LBsISWV2aSFU9A=="); byte[] cipherKey = ` + symK256 + `;
			using (SymmetricAlgorithm symmetricAlgorithm = SymmetricAlgorithm.Create("aes"))
			{
				symmetricAlgorithm.KeySize = keySize;
				symmetricAlgorithm.Mode = CipherMode.CBC;
				symmetricAlgorithm.Padding = PaddingMode.PKCS7;
				symmetricAlgorithm.Key = cipherKey;
				symmetricAlgorithm.IV = iv;

				byte[] plaintext = cipherText.Decrypt(symmetricAlgorithm);
				return Encoding.UTF8.GetString(plaintext);
			}`, "secret message!"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	// .NET's exceptions
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Key = new byte[10]; return "x"; }`, "Specified key is not a valid size for this algorithm."},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.IV = new byte[8]; return "x"; }`, "Specified initialization vector (IV) does not match the block size for this algorithm."},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.KeySize = 64; return "x"; }`, "Specified key is not a valid size for this algorithm."},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.BlockSize = 64; return "x"; }`, "Specified block size is not valid for this algorithm."},
		{`@{ var a = SymmetricAlgorithm.Create("Rijndael"); a.BlockSize = 256; return "x"; }`, "the 128-bit block of AES"},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Mode = CipherMode.OFB; return Convert.ToBase64String(new byte[1].Encrypt(a)); }`, "Specified cipher mode is not valid for this algorithm."},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Padding = PaddingMode.None; return Convert.ToBase64String(new byte[3].Encrypt(a)); }`, "Length of the data to encrypt is invalid."},
		// A fixed key and IV: with Create's random ones the block decrypts to a
		// valid PKCS7 padding about once in 250 runs. AES-128 with a zero key
		// decrypts a zero block to …ec3a: 0x3a is no padding.
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Key = new byte[16]; a.IV = new byte[16]; return Convert.ToBase64String(new byte[16].Decrypt(a)); }`, "Padding is invalid and cannot be removed."},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); return Convert.ToBase64String(new byte[15].Decrypt(a)); }`, "The input data is not a complete block."},
		{`@{ var a = SymmetricAlgorithm.Create("DES"); a.Key = new byte[8]; return "x"; }`, "Specified key is a known weak key for 'DES' and cannot be used."},
		{`@{ var a = SymmetricAlgorithm.Create("DES"); a.Key = Convert.FromBase64String("Af4B/gH+Af4="); return "x"; }`, "semi-weak key for 'DES'"},
		{`@{ var a = SymmetricAlgorithm.Create("TripleDES"); a.Key = Convert.FromBase64String("ASNFZ4mrze8BI0VniavN7w=="); return "x"; }`, "known weak key for 'TripleDES'"},
		{`@{ var a = SymmetricAlgorithm.Create("Blowfish"); a.KeySize = 128; return "x"; }`, "Object reference not set to an instance of an object."},
		{`@(Convert.ToBase64String(new byte[1].Encrypt("RC2", new byte[16], new byte[8])))`, "the symmetric algorithm 'RC2' is not supported"},
		{`@{ SymmetricAlgorithm a = null; return Convert.ToBase64String(new byte[1].Encrypt(a)); }`, "Value cannot be null"},
		{`@(Convert.ToBase64String(new byte[1].Encrypt(SymmetricAlgorithm.Create("aes"), new byte[16], new byte[8])))`, "Specified initialization vector (IV) does not match the block size for this algorithm."},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	// load errors: what C# refuses, and the types APIM does not allow
	for _, tc := range []struct{ src, want string }{
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.KeySize += 64; return "x"; }`, "only '=' can set the property 'KeySize'"},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Mode = 2; return "x"; }`, "cannot implicitly convert type 'int' to 'CipherMode'"},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.Key = "k"; return "x"; }`, "cannot implicitly convert type 'string' to 'byte[]'"},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); a.LegalKeySizes = null; return "x"; }`, "'LegalKeySizes'"},
		{`@{ var a = Aes.Create(); return "x"; }`, `SymmetricAlgorithm.Create("Aes")`},
		{`@{ var a = new RijndaelManaged(); return "x"; }`, `SymmetricAlgorithm.Create("Rijndael")`},
		{`@{ var a = SymmetricAlgorithm.Create("aes"); var e = a.CreateEncryptor(); return "x"; }`, "use the byte[] extensions, bytes.Encrypt(alg)"},
		{`@{ ICryptoTransform t = null; return "x"; }`, "APIM does not allow ICryptoTransform"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
